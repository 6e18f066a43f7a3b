/**
 * @module The Hono application: security headers, request logging and metrics, the routes, and the one
 * error handler that turns every failure into `{error, code, message, guidance}` JSON.
 */
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { GatewayError } from '../errors/gateway-error.js';
import { MODERN_VERSIONS } from '../protocol/versions.js';
import { isMcpEndpointPath } from '../spec/request-path.js';
import { accessControl, isPublicPath } from './access-control.js';
import type { AppDeps } from './app-deps.js';
import { forwardOf, routeToOwner, trustForwarded } from './cluster-routing.js';
import { errorAnswer, type Meter, recordRequest, requestIdOf } from './request-record.js';
import { registerAuditRoutes } from './routes/audit-routes.js';
import { registerAuthorizationRoutes } from './routes/authorization-routes.js';
import { registerDashboardRoutes } from './routes/dashboard-routes.js';
import { registerInfoRoutes } from './routes/info-routes.js';
import { registerOAuthRoutes } from './routes/oauth-routes.js';
import { registerPackageRoutes } from './routes/package-routes.js';
import { registerPermissionRoutes } from './routes/permission-routes.js';
import { registerProcessRequestRoutes } from './routes/process-request-routes.js';
import { registerProcessRoutes } from './routes/process-routes.js';
import { registerRegistryApiRoutes } from './routes/registry-api-routes.js';
import { registerToolChangeRoutes } from './routes/tool-change-routes.js';
import { registerToolsetMcpRoutes } from './routes/toolset-mcp-routes.js';
import { registerToolsetRoutes } from './routes/toolset-routes.js';

/**
 * What a request costs, for the rate limits: a `message` to a child (it carries `Mcp-Session-Id`, POSTs
 * to a legacy SSE session, or is a stateless 2026-07-28 request), a new `session` (an initialize without
 * a session, a legacy SSE stream), or a `request` (launches, operator endpoints). A made-up session id is
 * answered 404 without any work, so trusting the header costs nothing; a launch a message or session may
 * cause is capacity-managed apart.
 */
declare module 'hono' {
  interface ContextVariableMap {
    /** What the request costs, decided once (access log level, rate limits). */
    meter: Meter;
    requestId: string;
  }
}

/**
 * The security headers of every answer (CSP: scripts only from our own files, the dashboard; styles
 * also inline, the / page). The hot path sends the same set (front-door.ts).
 */
export const securityHeaders = (): MiddlewareHandler =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      // Images a tool returns (base64 in its result) are shown by the dashboard's playground.
      imgSrc: ["'self'", 'data:'],
      frameAncestors: ["'none'"],
    },
  });

/** The status of an answer written on Node's own response (the authorization server's), if one was. */
function sentStatus(c: Context): number | undefined {
  const out = (c.env as { outgoing?: { headersSent: boolean; statusCode: number } } | undefined)?.outgoing;
  return out?.headersSent ? out.statusCode : undefined;
}

function meterOf(c: Context): Meter {
  const path = c.req.path;
  if (!isMcpEndpointPath(path)) return 'request';
  if (c.req.header('mcp-session-id')) return 'message';
  const version = c.req.header('mcp-protocol-version');
  const isMcp = path.endsWith('/mcp');
  if (isMcp && version && MODERN_VERSIONS.includes(version)) return 'message';
  if (isMcp && c.req.method === 'POST') return 'session';
  if (path.endsWith('/sse')) {
    if (c.req.query('sessionId') === undefined) return c.req.method === 'GET' ? 'session' : 'request';
    return 'message';
  }
  return 'request';
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.use('*', securityHeaders());
  // Every answer carries X-Request-Id (the client's own when it sent a valid one); log lines name it.
  app.use('*', async (c, next) => {
    const id = requestIdOf(c.req.header('x-request-id'));
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
  });
  app.use('*', async (c, next) => {
    const started = performance.now();
    const counters = deps.cluster.counters;
    if (!forwardOf(c)) counters.requests++;
    c.set('meter', meterOf(c));
    counters.inFlight++;
    try {
      await next();
    } finally {
      counters.inFlight--; // until the answer starts; a streamed answer's calls are the children's in flight
    }
    recordRequest(deps, {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: sentStatus(c) ?? c.res.status,
      started,
      meter: c.get('meter'),
    });
  });

  app.use(
    '*',
    trustForwarded(
      accessControl({
        bindHost: deps.config.server.host,
        allowedHosts: deps.config.http.allowedHosts,
        allowedOrigins: deps.config.http.allowedOrigins,
        registryApiCors: deps.config.http.registryApiCors,
        auth: deps.auth,
        publicUrl: deps.config.http.publicUrl,
        trustProxy: deps.config.http.trustProxy,
      }),
    ),
  );
  app.use('*', async (c, next) => {
    // The instance that forwarded a request charged it already (the limits are cluster-wide).
    if (forwardOf(c)) return next();
    // Public paths (/health) count against the address budget only, whoever asks: a key that spent its
    // budget still sees the gateway's status.
    const caller = isPublicPath(c.req.path) ? undefined : c.get('principal')?.id;
    // Messages go to the caller's own processes and new sessions cost no process: budgets of their own.
    // Everything else costs the host (launches, operator endpoints); unauthenticated paths (/health)
    // count against the address budget only.
    const meter = c.get('meter');
    if (meter === 'message') await deps.limiter.message(caller, c.get('clientAddress'));
    else if (meter === 'session') await deps.limiter.session(caller, c.get('clientAddress'));
    else await deps.limiter.request(caller, c.get('clientAddress'));
    await next();
  });
  app.use('*', routeToOwner(deps.cluster));

  registerInfoRoutes(app, deps);
  registerOAuthRoutes(app, deps);
  registerAuthorizationRoutes(app, deps);
  registerProcessRoutes(app, deps);
  registerPackageRoutes(app, deps);
  registerRegistryApiRoutes(app, deps);
  registerDashboardRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerPermissionRoutes(app, deps);
  registerToolChangeRoutes(app, deps);
  registerToolsetRoutes(app, deps);
  registerToolsetMcpRoutes(app, deps);
  registerProcessRequestRoutes(app, deps);

  const errorJson = (err: unknown, c: Context) => {
    const { status, headers, body } = errorAnswer(deps, err, {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      principal: c.get('principal')?.id,
      address: c.get('clientAddress'),
    });
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    return c.json(body, status as ContentfulStatusCode);
  };
  app.notFound((c) => errorJson(new GatewayError('ROUTE_NOT_FOUND', 'No such endpoint.'), c));
  app.onError(errorJson);
  return app;
}
