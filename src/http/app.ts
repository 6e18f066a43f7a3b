/**
 * @module The Hono application: security headers, request logging and metrics, the routes, and the one
 * error handler that turns every failure into `{error, code, message, guidance}` JSON.
 */
import { type Context, Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { toErrorResponse } from '../errors/catalog.js';
import { GatewayError } from '../errors/gateway-error.js';
import { MODERN_VERSIONS } from '../protocol/versions.js';
import { accessControl, isPublicPath } from './access-control.js';
import type { AppDeps } from './app-deps.js';
import { forwardOf, routeToOwner, trustForwarded } from './cluster-routing.js';
import { registerAuditRoutes } from './routes/audit-routes.js';
import { registerDashboardRoutes } from './routes/dashboard-routes.js';
import { registerInfoRoutes } from './routes/info-routes.js';
import { registerPackageRoutes } from './routes/package-routes.js';
import { registerProcessRoutes } from './routes/process-routes.js';
import { registerRegistryApiRoutes } from './routes/registry-api-routes.js';

/**
 * What a request costs, for the rate limits: a `message` to a child (it carries `Mcp-Session-Id`, POSTs
 * to a legacy SSE session, or is a stateless 2026-07-28 request), a new `session` (an initialize without
 * a session, a legacy SSE stream), or a `request` (launches, operator endpoints). A made-up session id is
 * answered 404 without any work, so trusting the header costs nothing; a launch a message or session may
 * cause is capacity-managed apart.
 */
type Meter = 'message' | 'session' | 'request';

declare module 'hono' {
  interface ContextVariableMap {
    /** What the request costs, decided once (access log level, rate limits). */
    meter: Meter;
  }
}

function meterOf(c: Context): Meter {
  const path = c.req.path;
  if (!path.startsWith('/package/')) return 'request';
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

/** A bounded route label for metrics (never the raw path, which holds package names and ids). */
function routeLabel(path: string): string {
  if (path.startsWith('/package/')) return '/package';
  if (path.startsWith('/processes/') || path.startsWith('/logs/')) return '/processes/:id';
  return ['/', '/health', '/metrics', '/processes', '/sessions'].includes(path) ? path : 'other';
}

/** Refusals the audit log keeps: keys, policy, and requests from web pages or foreign host names. */
const REFUSALS: Partial<Record<string, 'auth.refused' | 'policy.refused' | 'browser.refused'>> = {
  AUTH_REQUIRED: 'auth.refused',
  AUTH_INVALID: 'auth.refused',
  FORBIDDEN: 'auth.refused',
  POLICY_DENIED: 'policy.refused',
  ENV_NAME_DENIED: 'policy.refused',
  ORIGIN_NOT_ALLOWED: 'browser.refused',
  HOST_NOT_ALLOWED: 'browser.refused',
};

function auditRefusal(deps: AppDeps, c: Context, code: string, message: string): void {
  const type = REFUSALS[code];
  if (!type) return;
  const principal = c.get('principal')?.id;
  deps.audit.record({
    type,
    ...(principal ? { principal } : {}),
    address: c.get('clientAddress') ?? 'unknown',
    outcome: code,
    detail: `${c.req.method} ${c.req.path.slice(0, 200)}: ${message.slice(0, 300)}`,
  });
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.use(
    '*',
    secureHeaders({
      // Scripts only from our own files (the dashboard); styles also inline (the / page).
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        frameAncestors: ["'none'"],
      },
    }),
  );
  // Every answer carries X-Request-Id (the client's own when it sent a valid one); log lines name it.
  app.use('*', requestId());
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
    const route = routeLabel(c.req.path);
    const seconds = (performance.now() - started) / 1000;
    deps.metrics.httpRequests.inc({ route, method: c.req.method, status: String(c.res.status) });
    deps.metrics.httpDuration.observe({ route }, seconds);
    // Messages to a child are the hot path (thousands a minute): their lines are debug; metrics count them.
    const level = c.get('meter') === 'message' && c.res.status < 400 ? 'debug' : 'info';
    deps.logger[level](
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        route,
        status: c.res.status,
        ms: Math.round(seconds * 1000),
      },
      'request',
    );
  });

  app.use(
    '*',
    trustForwarded(
      accessControl({
        bindHost: deps.config.server.host,
        allowedHosts: deps.config.http.allowedHosts,
        allowedOrigins: deps.config.http.allowedOrigins,
        registryApiCors: deps.config.http.registryApiCors,
        keys: deps.keys,
        openRegistry: deps.config.auth.openRegistry,
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
  registerProcessRoutes(app, deps);
  registerPackageRoutes(app, deps);
  registerRegistryApiRoutes(app, deps);
  registerDashboardRoutes(app, deps);
  registerAuditRoutes(app, deps);

  const errorJson = (err: unknown, c: Context) => {
    const { status, body } = toErrorResponse(err);
    if (status >= 500)
      deps.logger.error(
        {
          requestId: c.get('requestId'),
          code: body.code,
          err: err instanceof GatewayError ? err.message : err,
        },
        'request failed',
      );
    else deps.logger.info({ requestId: c.get('requestId'), code: body.code }, 'request refused');
    auditRefusal(deps, c, body.code, body.message);
    if (body.code === 'PROCESS_LIMIT_REACHED' || body.code === 'HOST_MEMORY_LOW')
      c.header('Retry-After', '30');
    if (body.code === 'CLUSTER_UNAVAILABLE') c.header('Retry-After', '5');
    if (body.code === 'RATE_LIMITED' || body.code === 'TOO_MANY_STREAMS')
      c.header('Retry-After', String(body.guidance.retryAfterSeconds ?? 60));
    if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="mcp-registry-server"');
    return c.json(body, status);
  };
  app.notFound((c) => errorJson(new GatewayError('ROUTE_NOT_FOUND', 'No such endpoint.'), c));
  app.onError(errorJson);
  return app;
}
