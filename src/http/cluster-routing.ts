/**
 * @module Requests in a cluster: a request another instance forwarded is served as the caller it names
 * (the front already checked the key, Host and Origin and charged the limits: nothing is counted twice),
 * and a request for a session another instance holds is forwarded to it, streams included, so a client
 * behind any load balancer never notices which instance holds its session.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Cluster, ForwardedEnv } from '../cluster/cluster.js';
import type { ForwardClaims } from '../cluster/forward-signature.js';
import { ForwardFailedError, forwardRequest, OwnerUnreachableError } from '../cluster/forwarder.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Principal } from '../policy/principal.js';
import { isMcpEndpointPath } from '../spec/request-path.js';

/** The verified claims of a request another instance forwarded; undefined when a client sent it. */
export function forwardOf(c: Context): ForwardClaims | undefined {
  return (c.env as ForwardedEnv | undefined)?.forward;
}

/** Who asks, as a forwarded request names its caller. */
export interface RequestOrigin {
  principal: Principal;
  clientAddress: string;
  requestId: string;
}

const originOf = (c: Context): RequestOrigin => ({
  principal: c.get('principal'),
  clientAddress: c.get('clientAddress'),
  requestId: c.get('requestId'),
});

/** The claims this instance forwards a request of its caller with. */
export function claimsOf(o: Omit<RequestOrigin, 'requestId'>, cluster: Cluster): ForwardClaims {
  return { principal: o.principal, clientAddress: o.clientAddress, from: cluster.self.id };
}

/** A forwarded request's caller, set in place of the access checks the front instance made. */
export function trustForwarded(access: MiddlewareHandler): MiddlewareHandler {
  return async (c, next) => {
    const claims = forwardOf(c);
    if (!claims) return access(c, next);
    c.set('principal', claims.principal);
    c.set('clientAddress', claims.clientAddress);
    await next();
  };
}

/** The session a request names: Mcp-Session-Id, or `?sessionId=` of a legacy SSE POST. */
function sessionIdOf(c: Context): string | undefined {
  return (
    c.req.header('mcp-session-id') ?? (c.req.path.endsWith('/sse') ? c.req.query('sessionId') : undefined)
  );
}

/** The 503 for a forward whose connection broke (the owner lives, but did not answer this time). */
const ownerFailed = (cause: unknown) =>
  new GatewayError(
    'CLUSTER_UNAVAILABLE',
    'The instance that holds this session did not answer.',
    { need: 'the instance that holds this session', reason: 'owner' },
    { cause },
  );

/** The 404 for a session whose owner is gone (its sessions went with it; the client re-initializes). */
export const sessionGone = (id: string) =>
  new GatewayError('SESSION_NOT_FOUND', `Session '${id.slice(0, 80)}' is unknown or has ended.`);

/**
 * Sends a request to instance `owner` as this request's caller, through `send` (a web Request on the
 * Hono path, Node's own on the hot path). Undefined when the owner is gone (its entry expired, or nothing
 * listens at its address any more). @throws GatewayError CLUSTER_UNAVAILABLE when the connection to a
 * live owner broke, or the directory cannot be reached.
 */
export async function toOwner<T>(
  o: RequestOrigin,
  cluster: Cluster,
  owner: string,
  send: (address: string, claims: ForwardClaims) => Promise<T>,
): Promise<T | undefined> {
  const info = await cluster.directory.lookup(owner);
  if (!info) return undefined;
  cluster.counters.forwardedOut++;
  try {
    return await send(info.address, claimsOf(o, cluster));
  } catch (err) {
    if (err instanceof ForwardFailedError) throw ownerFailed(err);
    if (!(err instanceof OwnerUnreachableError)) throw err;
    cluster.directory.forget(owner);
    return undefined;
  }
}

/** `toOwner` with a web Request (the Hono path, MRTR retries). */
const requestToOwner = (o: RequestOrigin, cluster: Cluster, owner: string, req: Request) =>
  toOwner(o, cluster, owner, (address, claims) =>
    forwardRequest(req, address, cluster.secret, claims, { requestId: o.requestId }),
  );

/** Forwards requests for sessions held by other instances to them. */
export function routeToOwner(cluster: Cluster): MiddlewareHandler {
  return async (c, next) => {
    if (!cluster.enabled || forwardOf(c) || !isMcpEndpointPath(c.req.path)) return next();
    const id = sessionIdOf(c);
    const owner = id ? cluster.ownerOf(id) : undefined;
    if (!id || !owner || owner === cluster.self.id) return next();
    const res = await requestToOwner(originOf(c), cluster, owner, c.req.raw);
    // The owner is gone (killed, or stopped): its sessions with it; the client re-initializes (404).
    if (!res) throw sessionGone(id);
    return res;
  };
}

/**
 * A 2026-07-28 retry (spec basic/patterns/mrtr) whose `requestState` another instance issued: the child's
 * request waits there, so the retry is forwarded (its body re-sent as read). Undefined: served here (when
 * the owner is gone, as an unknown state, and the client starts over). `forwarded`: the request came
 * from another instance (it is never sent on).
 */
export async function retryToOwner(
  o: RequestOrigin & { forwarded: boolean },
  cluster: Cluster,
  body: unknown,
  request: () => { url: string; headers: Headers },
): Promise<Response | undefined> {
  const state = (body as { params?: { requestState?: unknown } }).params?.requestState;
  if (!cluster.enabled || o.forwarded || typeof state !== 'string') return undefined;
  const owner = cluster.ownerOf(state);
  if (!owner || owner === cluster.self.id) return undefined;
  const { url, headers } = request();
  const req = new Request(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  return requestToOwner(o, cluster, owner, req);
}

/** retryToOwner for a request Hono serves. */
export const retryFromContext = (c: Context, cluster: Cluster, body: unknown) =>
  retryToOwner({ ...originOf(c), forwarded: !!forwardOf(c) }, cluster, body, () => c.req.raw);
