/**
 * @module The hot path: a POST to a package's or a toolset's `/mcp` from a program (no Origin, Referer or Fetch
 * Metadata: a browser's requests take the Hono path, which judges them) that carries the id of a session
 * held here, or a 2026-07-28 version (stateless). It is served on Node's own request and response, with
 * the same checks, answers and records as the Hono path, each done once: Host, key, message budget,
 * then the front (front/mcp-endpoint.ts). In a cluster, such a POST for a session another instance
 * holds is passed on to it the same way (no web objects), and a signed one that another instance passed
 * on is served here as the caller it names, on the cluster listener. Everything else goes to Hono.
 */
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import { Hono } from 'hono';
import { type ForwardClaims, verifyForward } from '../cluster/forward-signature.js';
import { passable, sendTo } from '../cluster/forwarder.js';
import { GatewayError } from '../errors/gateway-error.js';
import { type McpCaller, serveMcp, sessionMode } from '../front/mcp-endpoint.js';
import { packageServed } from '../front/served.js';
import { carrierOfHeaders } from '../observability/tracing.js';
import { compileHostCheck } from '../policy/host-check.js';
import type { Principal } from '../policy/principal.js';
import { MODERN_VERSIONS } from '../protocol/versions.js';
import { configFromHeaders } from '../runtime/env-mapping.js';
import { parsePackagePath } from '../spec/request-path.js';
import { addressOf, keyOf } from './access-control.js';
import { securityHeaders } from './app.js';
import { type AppDeps, mcpEndpointDeps } from './app-deps.js';
import { type RequestOrigin, retryToOwner, sessionGone, toOwner } from './cluster-routing.js';
import { NodeCall } from './node-call.js';
import { errorAnswer, recordRequest, requestIdOf } from './request-record.js';
import { checkToolsetQuery, toolsetServedFor } from './toolset-serving.js';

const PREFIX = '/package/';
/** A toolset's Streamable HTTP endpoint, in the plain form its names take (anything else: Hono). */
const TOOLSET_MCP = /^\/toolsets\/([a-z0-9][a-z0-9-]{0,62})\/mcp$/;

/** The headers Hono's secureHeaders middleware sets (name, value, …), taken once from the middleware itself. */
async function staticSecurityHeaders(): Promise<string[]> {
  const probe = new Hono();
  probe.use('*', securityHeaders());
  probe.get('/', (c) => c.body(null, 204));
  const res = await probe.request('/');
  const out: string[] = [];
  res.headers.forEach((value, name) => {
    out.push(name, value);
  });
  return out;
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * A request path as the WHATWG URL parser gives it (what the Hono path sees, so a session created there
 * is found here): a path of plain characters and no dot segments is already that, and is taken as is.
 */
function pathOf(raw: string): string {
  if (/^[\w@%+~\-/.]*$/.test(raw) && !/\/\.\.?(\/|$)/.test(raw)) return raw;
  return new URL(raw, 'http://front').pathname;
}

/**
 * The request's path and query as the WHATWG URL parser gives them (what the owner checks a forwarded
 * request's signature against on either path).
 */
function targetOf(raw: string): string {
  const q = raw.indexOf('?');
  if (q === -1) return pathOf(raw);
  const search = raw.slice(q);
  return (
    pathOf(raw.slice(0, q)) +
    (/^[\w@%+~\-/.?&=:,]*$/.test(search) ? search : new URL(raw, 'http://front').search)
  );
}

/** Where a hot request is served: here, or (an instance id) by the instance that holds its session. */
const HERE = '';

export interface FrontDoor {
  /** The public listener: serves the hot path itself and hands everything else to `fallback` (Hono's). */
  wrap(fallback: RequestListener): RequestListener;
  /** The cluster listener: serves hot requests other instances signed, and hands the rest to `fallback`. */
  wrapForwarded(fallback: RequestListener): RequestListener;
}

/** Builds the front door once. */
export async function createFrontDoor(deps: AppDeps): Promise<FrontDoor> {
  const secure = await staticSecurityHeaders();
  const hostOk = compileHostCheck(deps.config.server.host, deps.config.http.allowedHosts);
  const publicUrl = deps.config.http.publicUrl;
  const trustProxy = deps.config.http.trustProxy;
  const cluster = deps.cluster;
  const counters = cluster.counters;
  const endpoint = mcpEndpointDeps(deps);

  /**
   * Where a hot request goes, judged on its request line and headers alone (nothing read, nothing
   * charged): HERE, the id of the instance holding its session (`elsewhere`: public listener only), or
   * undefined (not hot: Hono serves it).
   */
  const routeOf = (req: IncomingMessage, elsewhere: boolean): string | undefined => {
    if (req.method !== 'POST') return undefined;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (!(url.startsWith(PREFIX) ? path.endsWith('/mcp') : TOOLSET_MCP.test(path))) return undefined;
    const h = req.headers;
    if (h.origin !== undefined || h.referer !== undefined || h['sec-fetch-site'] !== undefined)
      return undefined;
    const session = one(h['mcp-session-id']);
    if (session !== undefined) {
      if (deps.sessions.has(session)) return HERE;
      const owner = elsewhere ? cluster.ownerOf(session) : undefined;
      return owner && owner !== cluster.self.id ? owner : undefined;
    }
    const version = one(h['mcp-protocol-version']);
    return version !== undefined && MODERN_VERSIONS.includes(version) ? HERE : undefined;
  };

  /** Passes a hot request on to the instance that holds its session, and its answer back. */
  const passOn = async (call: NodeCall, owner: string, origin: RequestOrigin): Promise<void> => {
    const h = call.req.headers;
    const headers: OutgoingHttpHeaders = {};
    for (const name in h) if (passable(name)) headers[name] = h[name];
    headers['x-request-id'] = origin.requestId; // one request id in both instances' log lines
    const body = await call.forwardBody();
    const target = targetOf(call.req.url ?? '/');
    const answer = await toOwner(origin, cluster, owner, (address, claims) =>
      sendTo(address, cluster.secret, claims, {
        method: 'POST',
        target,
        headers,
        body,
        onAbort: (abort) => call.onAbort(abort), // the owner sees the client leave too
      }),
    );
    if (!answer) throw sessionGone(one(h['mcp-session-id']) ?? '');
    call.passOn(answer);
  };

  /** `forwarded`: the verified claims of a request another instance passed on (checked and charged there). */
  const serveHot = async (
    req: IncomingMessage,
    res: ServerResponse,
    route: string,
    forwarded?: ForwardClaims,
  ): Promise<void> => {
    const started = performance.now();
    const h = req.headers;
    const url = req.url ?? '/';
    const requestId = requestIdOf(one(h['x-request-id']));
    const q = url.indexOf('?');
    const path = pathOf(q === -1 ? url : url.slice(0, q));
    // A forwarded request's answer gets the security headers on the instance that passes it back.
    const call = new NodeCall(req, res, path, [...(forwarded ? [] : secure), 'x-request-id', requestId]);
    let principal: Principal | undefined;
    let address: string | undefined;
    if (forwarded) counters.forwardedIn++;
    else counters.requests++;
    counters.inFlight++;
    res.once('finish', () =>
      recordRequest(deps, {
        requestId,
        method: 'POST',
        path,
        status: res.statusCode,
        started,
        meter: 'message',
      }),
    );
    try {
      if (forwarded) {
        principal = forwarded.principal;
        address = forwarded.clientAddress;
      } else {
        address = addressOf(one(h['x-forwarded-for']), req.socket.remoteAddress, trustProxy);
        const host = one(h.host) ?? '';
        if (!hostOk(host))
          throw new GatewayError('HOST_NOT_ALLOWED', `Host '${host.slice(0, 100)}' is not served here.`);
        const who = deps.auth.principal(keyOf(one(h.authorization), one(h['x-api-key'])), address, () => ({
          base: publicUrl ?? `http://${host}`,
          path,
        }));
        principal = who instanceof Promise ? await who : who;
        const charged = deps.limiter.message(principal.id, address); // at once unless the budget is shared
        if (charged) await charged;
      }
      if (route !== HERE) return await passOn(call, route, { principal, clientAddress: address, requestId });
      const pairs = q === -1 ? [] : [...new URLSearchParams(url.slice(q + 1)).entries()];
      const caller = principal;
      const from = address;
      // Only stateless requests and new sessions need the configuration (a session's POST does not).
      let configHeaders: Array<[string, string]> | undefined;
      const headersOfConfig = () => {
        configHeaders ??= configFromHeaders(Object.entries(h));
        return configHeaders;
      };
      const trace = () => carrierOfHeaders((name) => one(h[name]));
      const toolset = TOOLSET_MCP.exec(path)?.[1];
      if (toolset !== undefined) checkToolsetQuery(pairs);
      const who: McpCaller = {
        principal: caller,
        mode: sessionMode(pairs, one(h['x-mcp-mode'])),
        served:
          toolset !== undefined
            ? toolsetServedFor(deps, toolset, { principal: caller, address: from }, trace)
            : packageServed(
                caller,
                (run) =>
                  deps.launcher.prepare(
                    parsePackagePath(path.slice(PREFIX.length)),
                    {
                      query: pairs,
                      headers: headersOfConfig(),
                      trace: trace(),
                      caller: { principal: caller, address: from },
                    },
                    run,
                  ),
                () => `${caller.id}\n${caller.role}\n${url}\n${JSON.stringify(headersOfConfig())}`,
                endpoint,
              ),
        toOwner: (body) =>
          retryToOwner(
            { principal: caller, clientAddress: from, requestId, forwarded: !!forwarded },
            deps.cluster,
            body,
            () => call.webRequest(),
          ),
      };
      await serveMcp(call, who, endpoint);
    } catch (err) {
      if (call.status !== 0) {
        deps.logger.warn({ requestId, err: (err as Error).message }, 'request failed after its answer began');
        return;
      }
      const { status, headers, body } = errorAnswer(deps, err, {
        requestId,
        method: 'POST',
        path,
        principal: principal?.id,
        address,
      });
      call.answer(status, { 'content-type': 'application/json', ...headers }, JSON.stringify(body));
    } finally {
      counters.inFlight--;
    }
  };

  return {
    wrap: (fallback) => (req, res) => {
      const route = routeOf(req, cluster.enabled);
      if (route === undefined) return fallback(req, res);
      void serveHot(req, res, route);
    },
    wrapForwarded: (fallback) => (req, res) => {
      if (routeOf(req, false) !== HERE) return fallback(req, res);
      const claims = verifyForward(cluster.secret, 'POST', targetOf(req.url ?? '/'), {
        get: (name) => one(req.headers[name]),
      });
      if (!claims) return fallback(req, res); // which refuses it
      void serveHot(req, res, HERE, claims);
    },
  };
}

/** `http.createServer` with the front door before Hono's listener (for @hono/node-server's `serve`). */
export function frontDoorServer(wrap: (fallback: RequestListener) => RequestListener): typeof createServer {
  return ((options: object, listener: RequestListener) =>
    createServer(options, wrap(listener))) as unknown as typeof createServer;
}
