/**
 * @module The gateway as an OAuth protected resource (RFC 9728, and the MCP authorization spec): which
 * resource a request belongs to, the metadata document that names the authorization servers for it, and
 * the `WWW-Authenticate` challenge that leads a client there. Each MCP endpoint (`/package/…/mcp`,
 * `/package/…/sse`, `/toolsets/…/mcp`, `/toolsets/…/sse`) is a resource of its own, its URL without the query; every other path belongs to the
 * gateway's root resource (its base URL). A token for the root resource is good on every path.
 */
import { isMcpEndpointPath } from '../../spec/request-path.js';

/** Where RFC 9728 §3 puts the metadata: this prefix, then the resource's path. */
export const METADATA_PREFIX = '/.well-known/oauth-protected-resource';

/** The realm every challenge names. */
const REALM = 'mcp-registry-server';

export interface ResourceSettings {
  issuers: readonly string[];
  userScope: string;
  adminScope: string;
}

/** The path of the resource a request path belongs to: an MCP endpoint's own path, or '' (the root). */
export function resourcePathOf(path: string): string {
  return isMcpEndpointPath(path) ? path : '';
}

/** The resources a token must name one of (its `aud`, RFC 8707) to be used on `path`. */
export function audiencesFor(base: string, path: string): string[] {
  const own = resourcePathOf(path);
  return own ? [`${base}${own}`, base, `${base}/`] : [base, `${base}/`];
}

/** The URL of the metadata of the resource `path` belongs to. */
export function metadataUrlFor(base: string, path: string): string {
  return `${base}${METADATA_PREFIX}${resourcePathOf(path)}`;
}

/**
 * The metadata document served at `METADATA_PREFIX` + `resourcePath` (RFC 9728 §2); undefined when that
 * path is no resource of this gateway.
 */
export function metadataDocument(
  base: string,
  resourcePath: string,
  s: ResourceSettings,
): Record<string, unknown> | undefined {
  if (resourcePath !== '' && resourcePathOf(resourcePath) !== resourcePath) return undefined;
  return {
    resource: `${base}${resourcePath}`,
    authorization_servers: [...s.issuers],
    scopes_supported: [s.userScope, s.adminScope],
    bearer_methods_supported: ['header'],
    resource_name: resourcePath ? `MCP server ${resourcePath}` : 'mcp-registry-server',
  };
}

/** A challenge parameter value, quoted, with only the characters RFC 6750 §3 allows in it. */
const quoted = (v: string) => `"${v.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '')}"`;

/** What a challenge says beyond where the metadata is (RFC 6750 §3). */
export interface Challenge {
  /** The metadata URL (RFC 9728 §5.1); absent when OAuth is off. */
  resourceMetadata?: string | undefined;
  /** The scope the request needs. */
  scope?: string | undefined;
  error?: 'invalid_token' | 'insufficient_scope' | undefined;
  description?: string | undefined;
}

/** The `WWW-Authenticate` value of a 401 or 403. */
export function challengeHeader(c: Challenge): string {
  const parts = [`realm=${quoted(REALM)}`];
  if (c.resourceMetadata) parts.push(`resource_metadata=${quoted(c.resourceMetadata)}`);
  if (c.scope) parts.push(`scope=${quoted(c.scope)}`);
  if (c.error) parts.push(`error=${quoted(c.error)}`);
  if (c.description) parts.push(`error_description=${quoted(c.description.slice(0, 200))}`);
  return `Bearer ${parts.join(', ')}`;
}
