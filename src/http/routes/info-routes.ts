/** @module GET / (API documentation), GET /health and GET /metrics. */
import type { Hono } from 'hono';
import { GatewayError } from '../../errors/gateway-error.js';
import { API_DOCS, examplesFor, renderDocsHtml } from '../api-docs.js';
import type { AppDeps } from '../app-deps.js';

/** What /health answers (no secrets: any caller may read it). */
export function healthView(deps: AppDeps) {
  const byStatus: Record<string, number> = {};
  for (const { process } of deps.processes.list())
    byStatus[process.status] = (byStatus[process.status] ?? 0) + 1;
  const rt = deps.runtimes();
  return {
    status: 'ok',
    version: deps.config.server.version,
    uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
    processes: { active: deps.processes.activeCount(), max: deps.config.process.maxProcesses, byStatus },
    sessions: deps.sessions.size,
    sandbox: {
      mode: deps.sandbox.mode,
      ...(deps.sandbox.reason ? { reason: deps.sandbox.reason } : {}),
      memoryLimit: { ...deps.sandbox.limits.memory, memoryMb: deps.sandbox.limits.memoryMb },
    },
    auth: { keys: deps.keys.size > 0, openRegistry: deps.config.auth.openRegistry },
    store: deps.store.stats(),
    runtimes: rt
      ? { node: process.version, npm: !!rt.npm, python: !!rt.python && rt.pythonVenv, uv: !!rt.uv }
      : 'probing',
  };
}

export function registerInfoRoutes(app: Hono, deps: AppDeps): void {
  app.get('/', (c) => {
    const accept = c.req.header('accept') ?? '';
    // Examples name this gateway's own address, not a default port.
    const base = deps.config.http.publicUrl ?? new URL(c.req.url).origin;
    if (accept.includes('text/html') && !/application\/json/.test(accept))
      return c.html(renderDocsHtml(deps.config.server.version, base));
    return c.json({ ...API_DOCS, examples: examplesFor(base), version: deps.config.server.version });
  });

  app.get('/health', (c) => c.json(healthView(deps)));

  app.get('/metrics', async (c) => {
    if (c.get('principal').role !== 'admin')
      throw new GatewayError('FORBIDDEN', 'Metrics are for admins.', { requiredRole: 'admin' });
    const body = await deps.metrics.registry.metrics();
    return c.text(body, 200, { 'content-type': deps.metrics.registry.contentType });
  });
}
