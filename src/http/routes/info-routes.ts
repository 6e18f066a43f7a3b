/** @module GET / (API documentation), GET /health and GET /metrics. */
import type { Hono } from 'hono';
import type { InstanceStats } from '../../cluster/cluster-types.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { Principal } from '../../policy/principal.js';
import { adminOnly } from '../admin-only.js';
import { API_DOCS, examplesFor, renderDocsHtml } from '../api-docs.js';
import type { AppDeps } from '../app-deps.js';
import { forwardOf } from '../cluster-routing.js';
import { clusterMetrics, clusterWide } from '../cluster-views.js';

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
      network: deps.sandbox.network,
      disk: { mechanism: deps.sandbox.limits.disk, diskMb: deps.sandbox.limits.diskMb },
    },
    auth: {
      keys: deps.auth.keys.size > 0,
      oauth: deps.auth.oauth !== undefined,
      openRegistry: deps.config.auth.openRegistry,
    },
    store: deps.store.stats(),
    runtimes: rt
      ? { node: process.version, npm: !!rt.npm, python: !!rt.python && rt.pythonVenv, uv: !!rt.uv }
      : 'probing',
  };
}

/**
 * /health: this instance, and in a cluster every live instance from its last heartbeat (processes,
 * sessions, requests answered and forwarded) with totals. Without Redis it still answers 200, `degraded`,
 * so load balancers keep sending traffic to instances that serve the sessions they hold.
 */
export async function clusterHealthView(deps: AppDeps) {
  const local = healthView(deps);
  const cluster = deps.cluster;
  if (!cluster.enabled) return local;
  try {
    const instances = (await cluster.directory.list()).map((i) => {
      const stats: Partial<InstanceStats> =
        i.id === cluster.self.id
          ? { ...cluster.counters, processes: local.processes.active, sessions: local.sessions }
          : (i.stats ?? {});
      const uptimeSeconds = Math.round((Date.now() - i.startedAt) / 1000);
      return { id: i.id, host: i.host, pid: i.pid, uptimeSeconds, ...stats };
    });
    const sum = (k: 'processes' | 'sessions') => instances.reduce((a, i) => a + (i[k] ?? 0), 0);
    return {
      ...local,
      cluster: {
        redis: 'ok',
        self: cluster.self.id,
        instances,
        total: { instances: instances.length, processes: sum('processes'), sessions: sum('sessions') },
      },
    };
  } catch {
    return { ...local, status: 'degraded', cluster: { redis: 'unavailable', self: cluster.self.id } };
  }
}

type HealthView = Awaited<ReturnType<typeof clusterHealthView>>;

/**
 * What `principal` may read of /health: without a key only the status (a load balancer's probe needs no
 * more, and the rest tells an attacker what runs here); users all but the instances' host names and pids.
 */
export function healthFor(principal: Principal | undefined, view: HealthView): Record<string, unknown> {
  if (!principal) return { status: view.status };
  const cluster = 'cluster' in view ? view.cluster : undefined;
  if (principal.role === 'admin' || !cluster || !('instances' in cluster) || !cluster.instances) return view;
  const instances = cluster.instances.map(({ host: _host, pid: _pid, ...rest }) => rest);
  return { ...view, cluster: { ...cluster, instances } };
}

export function registerInfoRoutes(app: Hono, deps: AppDeps): void {
  app.get('/', (c) => {
    const accept = c.req.header('accept') ?? '';
    // Examples name this gateway's own address, not a default port.
    const base = deps.config.http.publicUrl ?? new URL(c.req.url).origin;
    if (accept.includes('text/html') && !/application\/json/.test(accept))
      return c.html(renderDocsHtml(deps.config.server.version, base));
    return c.json({
      ...API_DOCS,
      dashboard: `${base}/dashboard`,
      examples: examplesFor(base),
      version: deps.config.server.version,
    });
  });

  app.get('/health', async (c) => {
    const view = c.req.query('scope') === 'local' ? healthView(deps) : await clusterHealthView(deps);
    return c.json(healthFor(c.get('principal'), view));
  });

  app.get('/metrics', async (c) => {
    adminOnly(c, 'Metrics are');
    const body = clusterWide(c, deps) ? await clusterMetrics(c, deps) : await deps.metrics.registry.metrics();
    return c.text(body, 200, { 'content-type': deps.metrics.registry.contentType });
  });
  // An instance's metrics as JSON, for the cluster-wide sum (other instances only).
  app.get('/metrics/json', async (c) => {
    if (!forwardOf(c)) throw new GatewayError('ROUTE_NOT_FOUND', 'No such endpoint.');
    adminOnly(c, 'Metrics are');
    return c.json(await deps.metrics.registry.getMetricsAsJSON());
  });
}
