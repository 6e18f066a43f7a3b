/** The pure parts of the OAuth resource server: resources of paths, challenges, discovery URLs, issuer rules. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { discoveryUrls } from '../../src/policy/oauth/issuer-discovery.js';
import {
  audiencesFor,
  challengeHeader,
  metadataDocument,
  metadataUrlFor,
  resourcePathOf,
} from '../../src/policy/oauth/protected-resource.js';

const BASE = 'https://gw.example';
const S = { issuers: ['https://idp.example'], userScope: 'mcp:user', adminScope: 'mcp:admin' };

describe('protected resources', () => {
  it('makes each MCP endpoint a resource of its own, and everything else the root', () => {
    expect(resourcePathOf('/package/firecrawl-mcp@latest/mcp')).toBe('/package/firecrawl-mcp@latest/mcp');
    expect(resourcePathOf('/package/@scope/name/sse')).toBe('/package/@scope/name/sse');
    expect(resourcePathOf('/package/x/stdio')).toBe('');
    expect(resourcePathOf('/processes')).toBe('');
    expect(audiencesFor(BASE, '/package/x/mcp')).toEqual([`${BASE}/package/x/mcp`, BASE, `${BASE}/`]);
    expect(audiencesFor(BASE, '/sessions')).toEqual([BASE, `${BASE}/`]);
    expect(metadataUrlFor(BASE, '/package/x/mcp')).toBe(
      `${BASE}/.well-known/oauth-protected-resource/package/x/mcp`,
    );
  });

  it('serves metadata only for paths that are resources', () => {
    expect(metadataDocument(BASE, '/package/x/mcp', S)).toMatchObject({
      resource: `${BASE}/package/x/mcp`,
      authorization_servers: ['https://idp.example'],
      scopes_supported: ['mcp:user', 'mcp:admin'],
    });
    expect(metadataDocument(BASE, '', S)).toMatchObject({ resource: BASE });
    expect(metadataDocument(BASE, '/processes', S)).toBeUndefined();
  });

  it('writes challenges with only the characters RFC 6750 allows in a value', () => {
    expect(
      challengeHeader({
        resourceMetadata: 'https://gw/m',
        scope: 'mcp:user',
        error: 'invalid_token',
        description: 'bad "x"\\\ny',
      }),
    ).toBe(
      'Bearer realm="mcp-registry-server", resource_metadata="https://gw/m", scope="mcp:user", error="invalid_token", error_description="bad xy"',
    );
  });

  it('looks for RFC 8414 metadata first, then OpenID configuration, paths included', () => {
    expect(discoveryUrls('https://idp.example/tenant/1')).toEqual([
      'https://idp.example/.well-known/oauth-authorization-server/tenant/1',
      'https://idp.example/tenant/1/.well-known/openid-configuration',
      'https://idp.example/.well-known/openid-configuration/tenant/1',
    ]);
    expect(discoveryUrls('https://idp.example')).toEqual([
      'https://idp.example/.well-known/oauth-authorization-server',
      'https://idp.example/.well-known/openid-configuration',
    ]);
  });

  it('trusts https issuers, and http ones on loopback only, naming OAUTH_ISSUER otherwise', () => {
    expect(
      loadConfig({ OAUTH_ISSUER: 'https://idp.example,http://127.0.0.1:8080' }).oauth.issuers,
    ).toHaveLength(2);
    expect(() => loadConfig({ OAUTH_ISSUER: 'http://idp.example' })).toThrow(/OAUTH_ISSUER/);
    expect(() => loadConfig({ OAUTH_ISSUER: 'https://idp.example/?x=1' })).toThrow(/OAUTH_ISSUER/);
    expect(loadConfig({}).oauth.issuers).toEqual([]);
  });
});
