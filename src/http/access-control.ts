/**
 * @module The first middleware of every request: Host (DNS rebinding), Origin (drive-by browser
 * requests) and the caller's identity (API key or OAuth access token). It sets `principal` and `clientAddress` on the context;
 * routes decide what the principal may see.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors/gateway-error.js';
import type { Authenticator } from '../policy/authenticator.js';
import { isRegistryApiPath, judgeBrowserRequest } from '../policy/browser-request.js';
import { compileHostCheck } from '../policy/host-check.js';
import { METADATA_PREFIX } from '../policy/oauth/protected-resource.js';
import { isServerPath, openToBrowsers } from '../policy/oauth/server/server-paths.js';
import { compileOrigins } from '../policy/origin-check.js';
import type { Principal } from '../policy/principal.js';
import { DASHBOARD_PUBLIC_PATHS } from './routes/dashboard-routes.js';

declare module 'hono' {
  interface ContextVariableMap {
    principal: Principal;
    clientAddress: string;
  }
}

export interface AccessSettings {
  bindHost: string;
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
  /** Origins whose pages may read the registry API (`*`: any). */
  registryApiCors: readonly string[];
  auth: Authenticator;
  /** PUBLIC_URL: the base of the resource URLs tokens must name (else the request's origin). */
  publicUrl?: string | undefined;
  /** Take the client address from the last X-Forwarded-For hop (behind one reverse proxy). */
  trustProxy: boolean;
}

/**
 * Paths any caller may read without a key: load balancers probe /health (which then says only its
 * status); the dashboard page asks for a key before any data; OAuth clients read the protected resource
 * metadata before they have a token (RFC 9728), and the built-in authorization server is how they get one.
 */
const PUBLIC_PATHS = new Set(['/health', ...DASHBOARD_PUBLIC_PATHS]);

/** True for a path any caller may read without a key (charged to the client address alone). */
export const isPublicPath = (path: string): boolean =>
  PUBLIC_PATHS.has(path) || isMetadataPath(path) || isServerPath(path);

/** The protected resource metadata (RFC 9728): public, and readable by pages of any origin. */
const isMetadataPath = (path: string): boolean =>
  path === METADATA_PREFIX || path.startsWith(`${METADATA_PREFIX}/`);

/** The proxy's last X-Forwarded-For hop, or undefined. */
function lastForwardedHop(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const hops = header
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return hops.at(-1)?.slice(0, 64);
}

/** The client's address: the socket peer, or the proxy's last X-Forwarded-For hop when trusted. */
export function addressOf(
  forwardedFor: string | undefined,
  peer: string | undefined,
  trustProxy: boolean,
): string {
  return (trustProxy ? lastForwardedHop(forwardedFor) : undefined) ?? peer ?? 'unknown';
}

function clientAddress(c: Context, trustProxy: boolean): string {
  let peer: string | undefined;
  try {
    peer = getConnInfo(c).remote.address;
  } catch {
    // app.request() in tests has no socket
  }
  return addressOf(c.req.header('x-forwarded-for'), peer, trustProxy);
}

/** The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function keyOf(authorization: string | undefined, apiKey: string | undefined): string | undefined {
  const bearer = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  return bearer || apiKey?.trim() || undefined;
}

/** The key a request presents (see keyOf). */
export const presentedKey = (c: Context): string | undefined =>
  keyOf(c.req.header('authorization'), c.req.header('x-api-key'));

/** The caller of a public path (/health), when it is known; never refuses (a wrong key is no one). */
async function identifyIfKnown(
  c: Context,
  s: AccessSettings,
  address: string,
): Promise<Principal | undefined> {
  try {
    return await identify(c, s, address);
  } catch {
    return undefined;
  }
}

function identify(c: Context, s: AccessSettings, address: string): Principal | Promise<Principal> {
  return s.auth.principal(presentedKey(c), address, () => ({
    base: s.publicUrl ?? new URL(c.req.url).origin,
    path: c.req.path,
  }));
}

/** A CORS preflight: browsers send it without credentials, and the CORS middleware answers it. */
function isPreflight(c: Context): boolean {
  return c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined;
}

/** Builds the access middleware once from the configuration. */
export function accessControl(s: AccessSettings): MiddlewareHandler {
  const hostOk = compileHostCheck(s.bindHost, s.allowedHosts);
  const rule = {
    allowedOrigins: compileOrigins(s.allowedOrigins),
    registryOrigins: s.registryApiCors.includes('*') ? ('any' as const) : compileOrigins(s.registryApiCors),
    publicPaths: { has: (path: string) => DASHBOARD_PUBLIC_PATHS.includes(path) || isMetadataPath(path) },
  };
  return async (c, next) => {
    const address = clientAddress(c, s.trustProxy);
    c.set('clientAddress', address);
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    if (!hostOk(host))
      throw new GatewayError('HOST_NOT_ALLOWED', `Host '${host.slice(0, 100)}' is not served here.`);
    const open = s.auth.oauth?.builtin !== undefined && openToBrowsers(c.req.method, c.req.path);
    const verdict = open
      ? { ok: true as const }
      : judgeBrowserRequest(
          {
            url: c.req.url,
            path: c.req.path,
            origin: c.req.header('origin'),
            site: c.req.header('sec-fetch-site'),
            referer: c.req.header('referer'),
          },
          rule,
        );
    if (!verdict.ok)
      throw new GatewayError(
        'ORIGIN_NOT_ALLOWED',
        `Refused: ${verdict.why}${verdict.origin ? ` (Origin '${verdict.origin.slice(0, 100)}')` : ''}.`,
        {
          origin: verdict.origin?.slice(0, 100),
          site: verdict.site,
          registryApi: isRegistryApiPath(c.req.path),
        },
      );
    if (isPublicPath(c.req.path)) {
      const known = await identifyIfKnown(c, s, address);
      if (known) c.set('principal', known);
    } else if (!isPreflight(c)) c.set('principal', await identify(c, s, address));
    await next();
  };
}
