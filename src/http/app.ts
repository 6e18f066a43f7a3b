/**
 * @module The Hono application: security headers, request logging and metrics, the routes, and the one
 * error handler that turns every failure into `{error, code, message, guidance}` JSON.
 */
import { type Context, Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { toErrorResponse } from '../errors/catalog.js';
import { GatewayError } from '../errors/gateway-error.js';
import { MODERN_VERSIONS } from '../protocol/versions.js';
import { accessControl } from './access-control.js';
import type { AppDeps } from './app-deps.js';
import { registerInfoRoutes } from './routes/info-routes.js';
import { registerPackageRoutes } from './routes/package-routes.js';
import { registerProcessRoutes } from './routes/process-routes.js';

/**
 * A message to a child: it carries `Mcp-Session-Id`, POSTs to a legacy SSE session, or is a stateless
 * 2026-07-28 request (a launch it may cause is capacity-managed apart). (A made-up
 * session id is answered 404 without any work, so trusting the header costs nothing.)
 */
function isSessionMessage(c: Context): boolean {
  if (!c.req.path.startsWith('/package/')) return false;
  if (c.req.header('mcp-session-id')) return true;
  // A 2026-07-28 request is stateless: it is a message to the configuration's child, like one in a session.
  const version = c.req.header('mcp-protocol-version');
  if (version && MODERN_VERSIONS.includes(version) && c.req.path.endsWith('/mcp')) return true;
  return c.req.method === 'POST' && c.req.path.endsWith('/sse') && c.req.query('sessionId') !== undefined;
}

/** A bounded route label for metrics (never the raw path, which holds package names and ids). */
function routeLabel(path: string): string {
  if (path.startsWith('/package/')) return '/package';
  if (path.startsWith('/processes/') || path.startsWith('/logs/')) return '/processes/:id';
  return ['/', '/health', '/metrics', '/processes', '/sessions'].includes(path) ? path : 'other';
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.use(
    '*',
    secureHeaders({ contentSecurityPolicy: { defaultSrc: ["'self'"], styleSrc: ["'unsafe-inline'"] } }),
  );
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const route = routeLabel(c.req.path);
    const seconds = (performance.now() - started) / 1000;
    deps.metrics.httpRequests.inc({ route, method: c.req.method, status: String(c.res.status) });
    deps.metrics.httpDuration.observe({ route }, seconds);
    deps.logger.info(
      { method: c.req.method, route, status: c.res.status, ms: Math.round(seconds * 1000) },
      'request',
    );
  });

  app.use(
    '*',
    accessControl({
      bindHost: deps.config.server.host,
      allowedHosts: deps.config.http.allowedHosts,
      allowedOrigins: deps.config.http.allowedOrigins,
      keys: deps.keys,
      openRegistry: deps.config.auth.openRegistry,
      trustProxy: deps.config.http.trustProxy,
    }),
  );
  app.use('*', async (c, next) => {
    const caller = c.get('principal')?.id;
    // Messages inside a session go to the caller's own processes: a budget of their own. Everything
    // else costs the host (sessions, launches, operator endpoints); unauthenticated paths (/health)
    // count against the address budget only.
    if (isSessionMessage(c)) await deps.limiter.message(caller, c.get('clientAddress'));
    else await deps.limiter.request(caller, c.get('clientAddress'));
    await next();
  });

  registerInfoRoutes(app, deps);
  registerProcessRoutes(app, deps);
  registerPackageRoutes(app, deps);

  const errorJson = (err: unknown, c: Context) => {
    const { status, body } = toErrorResponse(err);
    if (status >= 500)
      deps.logger.error(
        { code: body.code, err: err instanceof GatewayError ? err.message : err },
        'request failed',
      );
    else deps.logger.info({ code: body.code }, 'request refused');
    if (body.code === 'PROCESS_LIMIT_REACHED') c.header('Retry-After', '30');
    if (body.code === 'RATE_LIMITED') c.header('Retry-After', String(body.guidance.retryAfterSeconds ?? 60));
    if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="mcp-registry-server"');
    return c.json(body, status);
  };
  app.notFound((c) => errorJson(new GatewayError('ROUTE_NOT_FOUND', 'No such endpoint.'), c));
  app.onError(errorJson);
  return app;
}
