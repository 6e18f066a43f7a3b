/**
 * The gateway as an OAuth 2.1 protected resource, against a real authorization server (oidc-provider)
 * over real HTTP: RFC 9728 metadata, the 401 challenge that leads a client to it, JWT access tokens for
 * the endpoint's own resource (RFC 8707), and every token an attacker could bring refused.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { INIT_2025, MCP_HEADERS } from '../support/mcp-raw.js';
import { SVC, startIssuer, type TestIssuer } from '../support/oidc-issuer.js';

const PATH = '/package/fixture-echo-mcp/mcp';
const ops = generateApiKey('ops', 'admin');
const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('OAuth resource server (OAUTH_ISSUER)', () => {
  let idp: TestIssuer;
  let stranger: TestIssuer;
  let t: TestGateway;
  let base: string;
  let resource: string;
  beforeAll(async () => {
    [idp, stranger] = await Promise.all([startIssuer(), startIssuer()]);
    t = await startTestGateway({ oauth: { issuers: [idp.issuer] }, auth: { apiKeys: [ops.entry] } });
    base = await t.serve();
    resource = `${base}${PATH}`;
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([idp?.close(), stranger?.close()]);
  });

  const post = (token: string | undefined, body = INIT_2025, path = PATH) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });

  it('serves RFC 9728 metadata for each MCP endpoint and the root, to pages of any origin', async () => {
    const res = await fetch(`${base}/.well-known/oauth-protected-resource${PATH}`, {
      headers: { origin: 'https://chatgpt.com' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toMatchObject({
      resource,
      authorization_servers: [idp.issuer],
      scopes_supported: ['mcp:user', 'mcp:admin'],
    });
    const root = (await (await fetch(`${base}/.well-known/oauth-protected-resource`)).json()) as object;
    expect(root).toMatchObject({ resource: base, authorization_servers: [idp.issuer] });
    expect((await fetch(`${base}/.well-known/oauth-protected-resource/processes`)).status).toBe(404);
  });

  it('answers a request without a token (loopback too) with 401 and the challenge a client follows', async () => {
    const before = t.gw.processes.list().length;
    const res = await post(undefined);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="mcp-registry-server", resource_metadata="${base}/.well-known/oauth-protected-resource${PATH}", scope="mcp:user"`,
    );
    expect(((await res.json()) as { code: string }).code).toBe('AUTH_REQUIRED');
    const list = await fetch(`${base}/processes`);
    expect(list.headers.get('www-authenticate')).toContain(
      `resource_metadata="${base}/.well-known/oauth-protected-resource"`,
    );
    expect(t.gw.processes.list()).toHaveLength(before);
  });

  it("opens a session and calls a tool with a token for the endpoint's resource, on every path", async () => {
    const token = await idp.token(resource, 'mcp:user');
    const init = await post(token);
    expect(init.status).toBe(200);
    const session = init.headers.get('mcp-session-id') as string;
    await init.text();
    const headers = {
      ...MCP_HEADERS,
      authorization: `Bearer ${token}`,
      'mcp-session-id': session,
      'mcp-protocol-version': '2025-06-18',
    };
    const call = await fetch(`${base}${PATH}`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'with a token' } },
      }),
    });
    expect(call.status).toBe(200);
    expect(await call.text()).toContain('with a token');
    // The session is the token subject's own: listed for it, as a user.
    const mine = (await (
      await fetch(`${base}/sessions`, {
        headers: { authorization: `Bearer ${await idp.token(base, 'mcp:user')}` },
      })
    ).json()) as { sessions: Array<{ id: string }> };
    expect(mine.sessions.map((s) => s.id)).toContain(session);
    // A stateless 2026-07-28 request (the hot path) takes the same token.
    const modern = await fetch(`${base}${PATH}`, {
      method: 'POST',
      headers: {
        ...MCP_HEADERS,
        authorization: `Bearer ${token}`,
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/list',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/list',
        params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
      }),
    });
    expect(modern.status).toBe(200);
    expect(await modern.text()).toContain('echo');
    // API keys keep working beside tokens.
    expect(
      (await fetch(`${base}/processes`, { headers: { authorization: `Bearer ${ops.key}` } })).status,
    ).toBe(200);
    // A key of the gateway's own form that is not configured is a wrong key (not a token to verify).
    const ghost = await fetch(`${base}/processes`, {
      headers: { authorization: `Bearer ${generateApiKey('ghost', 'user').key}` },
    });
    expect([ghost.status, ((await ghost.json()) as { code: string }).code]).toEqual([401, 'AUTH_INVALID']);
  });

  it('refuses every token an attacker could bring, and starts nothing', async () => {
    const before = t.gw.processes.list().length;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: idp.issuer,
      sub: 'mallory',
      aud: resource,
      scope: 'mcp:admin',
      iat: now,
      exp: now + 600,
    };
    const refused = async (token: string, reason: RegExp) => {
      const res = await post(token);
      const body = (await res.json()) as { code: string; message: string };
      expect([res.status, body.code, body.message]).toEqual([
        401,
        'TOKEN_INVALID',
        expect.stringMatching(reason),
      ]);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    };
    await refused(await idp.token(`${base}/package/another-mcp/mcp`, 'mcp:user'), /another resource/);
    await refused(
      await stranger.token(resource, 'mcp:user'),
      /not issued by an authorization server this gateway trusts/,
    );
    // Signed by the stranger's key, claiming the trusted issuer.
    await refused(await stranger.sign(claims), /key the issuer does not publish|signature/);
    await refused(await idp.sign({ ...claims, iat: now - 7200, exp: now - 3600 }), /expired/);
    await refused(`${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`, /algorithm|not valid/);
    const hsInput = `${b64({ alg: 'HS256', typ: 'at+jwt' })}.${b64(claims)}`;
    const hs = createHmac('sha256', JSON.stringify(await (await fetch(`${idp.issuer}/jwks`)).json()))
      .update(hsInput)
      .digest('base64url');
    await refused(`${hsInput}.${hs}`, /algorithm/);
    const good = await idp.sign(claims);
    await refused(`${good.slice(0, -6)}AAAAAA`, /signature/);
    await refused(await idp.sign(claims, { typ: 'JWT' }), /typ/);
    await refused('not-a-token', /not a JWT/);
    // A valid token without the user or admin scope: 403 naming the scope.
    const scopeless = await post(await idp.token(resource, 'other'));
    expect(scopeless.status).toBe(403);
    expect(((await scopeless.json()) as { code: string }).code).toBe('INSUFFICIENT_SCOPE');
    expect(scopeless.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(scopeless.headers.get('www-authenticate')).toContain('scope="mcp:user"');
    expect(t.gw.processes.list()).toHaveLength(before);
  });

  it("follows the issuer's key rotation", async () => {
    await idp.rotate();
    const token = await idp.token(resource, 'mcp:user');
    // The new key id makes the gateway fetch the key set again (at most every few seconds): wait for it.
    let status = 0;
    for (let i = 0; i < 60 && status !== 200; i++) {
      const res = await post(token);
      status = res.status;
      await res.text();
      if (status !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(200);
  });

  it('takes opaque tokens through RFC 7662 introspection when client credentials for it are set', async () => {
    const opaque = await startIssuer({ opaque: true });
    const g = await startTestGateway({
      oauth: {
        issuers: [opaque.issuer],
        introspectionClientId: SVC.id,
        introspectionClientSecret: SVC.secret,
      },
    });
    try {
      const at = await g.serve();
      const token = await opaque.token(`${at}${PATH}`, 'mcp:user');
      expect(token.split('.')).toHaveLength(1);
      const send = (bearer: string) =>
        fetch(`${at}${PATH}`, {
          method: 'POST',
          headers: { ...MCP_HEADERS, authorization: `Bearer ${bearer}` },
          body: INIT_2025,
        });
      const ok = await send(token);
      expect(ok.status).toBe(200);
      await ok.text();
      const wrong = await send(`${token.slice(0, -4)}AAAA`);
      expect([wrong.status, ((await wrong.json()) as { code: string }).code]).toEqual([401, 'TOKEN_INVALID']);
      // Introspected for another endpoint: refused by audience like a JWT.
      const other = await send(await opaque.token(`${at}/package/another-mcp/mcp`, 'mcp:user'));
      expect(other.status).toBe(401);
    } finally {
      await g.close();
      await opaque.close();
    }
  });
});
