/**
 * @module The hot path: a POST to a package's `/mcp` from a program (no Origin, Referer or Fetch
 * Metadata: a browser's requests take the Hono path, which judges them) that carries the id of a session
 * held here, or a 2026-07-28 version (stateless). It is served on Node's own request and response, with
 * the same checks, answers and records as the Hono path, each done once: Host, key, message budget,
 * then the front (front/mcp-endpoint.ts). Everything else, including sessions other instances hold,
 * goes to Hono.
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { Hono } from 'hono';
import { GatewayError } from '../errors/gateway-error.js';
import { type McpCaller, serveMcp, sessionMode } from '../front/mcp-endpoint.js';
import { carrierOfHeaders } from '../observability/tracing.js';
import { compileHostCheck } from '../policy/host-check.js';
import type { Principal } from '../policy/principal.js';
import { MODERN_VERSIONS } from '../protocol/versions.js';
import { configFromHeaders } from '../runtime/env-mapping.js';
import { parsePackagePath } from '../spec/request-path.js';
import { addressOf, keyOf, principalOf } from './access-control.js';
import { securityHeaders } from './app.js';
import { type AppDeps, mcpEndpointDeps } from './app-deps.js';
import { retryToOwner } from './cluster-routing.js';
import { NodeCall } from './node-call.js';
import { errorAnswer, recordRequest, requestIdOf } from './request-record.js';

const PREFIX = '/package/';

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
 * Builds the front door once: `wrap(fallback)` gives the listener that serves the hot path itself and
 * hands everything else to `fallback` (Hono's listener).
 */
export async function createFrontDoor(
  deps: AppDeps,
): Promise<(fallback: RequestListener) => RequestListener> {
  const secure = await staticSecurityHeaders();
  const hostOk = compileHostCheck(deps.config.server.host, deps.config.http.allowedHosts);
  const access = { keys: deps.keys, openRegistry: deps.config.auth.openRegistry };
  const trustProxy = deps.config.http.trustProxy;
  const counters = deps.cluster.counters;
  const endpoint = mcpEndpointDeps(deps);

  /** A hot request, judged on its request line and headers alone (nothing read, nothing charged). */
  const isHot = (req: IncomingMessage): boolean => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    if (!url.startsWith(PREFIX)) return false;
    const q = url.indexOf('?');
    if (!(q === -1 ? url : url.slice(0, q)).endsWith('/mcp')) return false;
    const h = req.headers;
    if (h.origin !== undefined || h.referer !== undefined || h['sec-fetch-site'] !== undefined) return false;
    const session = one(h['mcp-session-id']);
    if (session !== undefined) return deps.sessions.has(session);
    const version = one(h['mcp-protocol-version']);
    return version !== undefined && MODERN_VERSIONS.includes(version);
  };

  const serveHot = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const h = req.headers;
    const url = req.url ?? '/';
    const requestId = requestIdOf(one(h['x-request-id']));
    const q = url.indexOf('?');
    const path = pathOf(q === -1 ? url : url.slice(0, q));
    const call = new NodeCall(req, res, path, [...secure, 'x-request-id', requestId]);
    let principal: Principal | undefined;
    let address: string | undefined;
    counters.requests++;
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
      address = addressOf(one(h['x-forwarded-for']), req.socket.remoteAddress, trustProxy);
      const host = one(h.host) ?? '';
      if (!hostOk(host))
        throw new GatewayError('HOST_NOT_ALLOWED', `Host '${host.slice(0, 100)}' is not served here.`);
      principal = principalOf(keyOf(one(h.authorization), one(h['x-api-key'])), access, address);
      const charged = deps.limiter.message(principal.id, address); // at once unless the budget is shared
      if (charged) await charged;
      const pairs = q === -1 ? [] : [...new URLSearchParams(url.slice(q + 1)).entries()];
      const caller = principal;
      const from = address;
      // Only stateless requests and new sessions need the configuration (a session's POST does not).
      let configHeaders: Array<[string, string]> | undefined;
      const headersOfConfig = () => {
        configHeaders ??= configFromHeaders(Object.entries(h));
        return configHeaders;
      };
      const who: McpCaller = {
        principal: principal.id,
        mode: sessionMode(pairs, one(h['x-mcp-mode'])),
        configKey: () => `${caller.id}\n${caller.role}\n${url}\n${JSON.stringify(headersOfConfig())}`,
        prepare: (run) =>
          deps.launcher.prepare(
            parsePackagePath(path.slice(PREFIX.length)),
            {
              query: pairs,
              headers: headersOfConfig(),
              trace: carrierOfHeaders((name) => one(h[name])),
              caller: { owner: caller.id, address: from, admin: caller.role === 'admin' },
            },
            run,
          ),
        toOwner: (body) =>
          retryToOwner(
            { principal: caller, clientAddress: from, requestId, forwarded: false },
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

  return (fallback) => (req, res) => {
    if (!isHot(req)) return fallback(req, res);
    void serveHot(req, res);
  };
}

/** `http.createServer` with the front door before Hono's listener (for @hono/node-server's `serve`). */
export function frontDoorServer(wrap: (fallback: RequestListener) => RequestListener): typeof createServer {
  return ((options: object, listener: RequestListener) =>
    createServer(options, wrap(listener))) as unknown as typeof createServer;
}
