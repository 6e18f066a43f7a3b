/** @module Process listings, details, stop and logs: /processes, /processes/{id}, /processes/{id}/logs, /logs/{id}. */
import type { Context, Hono } from 'hono';
import { clientConfigs, packageEndpoint } from '../../catalog/client-configs.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { pinRefOf } from '../../front/pin-guard.js';
import type { ProcessMeta } from '../../launch/package-launcher.js';
import { canAccess, type Principal } from '../../policy/principal.js';
import type { ManagedProcess } from '../../runtime/managed-process.js';
import type { AppDeps } from '../app-deps.js';
import { forwardOf } from '../cluster-routing.js';
import { clusterWide, mergedList, onOwner, onProcessOwner, processNotFound } from '../cluster-views.js';
import { connectionInfoFor } from '../connection-view.js';

/**
 * The public view of a process: secrets stay out. `protocol` is what first started it; `sessions` are the
 * sessions it serves now, with their transports (streamable, sse).
 */
async function describe(
  process: ManagedProcess,
  meta: ProcessMeta,
  sessions: ReadonlyArray<{ id: string; transport: string; mode: string }>,
  viewer: { admin: boolean; storeDir: string; pins: AppDeps['pins'] },
) {
  const live = process.status === 'running' && process.pid !== undefined;
  const now = Date.now();
  return {
    id: process.id,
    packageName: meta.packageName,
    packageType: meta.packageType,
    version: meta.version,
    requestedVersion: meta.requestedVersion,
    protocol: meta.protocol,
    sessions: sessions.map((s) => ({ id: s.id, transport: s.transport, mode: s.mode })),
    status: process.status,
    pid: live ? process.pid : null,
    startTime: process.createdAt,
    uptimeSeconds: live ? Math.round((now - process.startedAt) / 1000) : 0,
    restarts: process.restarts,
    lastActivity: new Date(process.lastActivity).toISOString(),
    idleSeconds: Math.round((now - process.lastActivity) / 1000),
    memoryBytes: live ? await process.memoryBytes() : 0,
    ...(process.failure ? { failure: process.failure, ...process.outputTails(20) } : {}),
    server: process.identity,
    connectionInfo: connectionInfoFor(meta.connectionInfo, viewer.admin, viewer.storeDir),
    quality: meta.quality,
    owner: meta.owner,
    network: meta.network,
    // Tool pinning: definitions held for an admin (GET /tool-changes), and changes recorded as warnings.
    toolPins: viewer.pins.summary(pinRefOf(meta)),
    supplyChain: meta.supplyChain ?? null,
  };
}

/** How `principal` sees command lines (absolute host paths for admins only). */
const viewerOf = (deps: AppDeps, principal: Principal) => ({
  admin: principal.role === 'admin',
  storeDir: deps.config.store.dir,
  pins: deps.pins,
});

/** The live sessions a process serves. */
function servedBy(deps: AppDeps, processId: string) {
  return deps.sessions.list().filter((s) => s.processIds.includes(processId));
}

/** The process with this id when the caller may see it; another owner's process looks unknown. */
export function findProcess(deps: AppDeps, c: Context, id: string) {
  const hit = deps.processes.get(id);
  if (!hit || !canAccess(c.get('principal'), hit.meta.owner)) throw processNotFound(id);
  return hit;
}

function logs(deps: AppDeps, c: Context) {
  const { process } = findProcess(deps, c, c.req.param('id') ?? '');
  const n = Math.min(Math.max(Number(c.req.query('lines') ?? 200) || 200, 1), 10_000);
  // `lines` is stderr; `stdout` the lines on stdout that were not MCP messages (kept apart).
  return c.json({
    processId: process.id,
    status: process.status,
    lines: process.stderr.tail(n),
    stdout: process.stdoutNoise.tail(n),
  });
}

/** The processes `principal` may see, as /processes lists them. */
export async function processesView(deps: AppDeps, principal: Principal) {
  const processes = await Promise.all(
    deps.processes
      .list()
      .filter(({ meta }) => canAccess(principal, meta.owner))
      .map(({ process, meta }) =>
        describe(process, meta, servedBy(deps, process.id), viewerOf(deps, principal)),
      ),
  );
  return {
    processes,
    total: processes.length,
    active: deps.processes.activeCount(),
    max: deps.config.process.maxProcesses,
  };
}

/** The sessions `principal` may see, as /sessions lists them. */
export function sessionsView(deps: AppDeps, principal: Principal) {
  const sessions = deps.sessions
    .list()
    .filter((s) => canAccess(principal, s.owner))
    .map((s) => ({ ...s, lastActivity: new Date(s.lastActivity).toISOString() }));
  return { sessions, total: sessions.length };
}

/** /processes for the request's scope: this instance, or the whole cluster (items name their instance). */
export async function scopedProcesses(c: Context, deps: AppDeps) {
  const local = await processesView(deps, c.get('principal'));
  if (!clusterWide(c, deps)) return local;
  const merged = await mergedList(c, deps, 'processes', local);
  const items = merged.processes as Array<{ status: string }>;
  const active = items.filter((p) => ['starting', 'running', 'restarting'].includes(p.status)).length;
  return { ...merged, active, max: local.max, maxScope: 'host' };
}

/** /sessions for the request's scope. */
export async function scopedSessions(c: Context, deps: AppDeps) {
  const local = sessionsView(deps, c.get('principal'));
  return clusterWide(c, deps) ? mergedList(c, deps, 'sessions', local) : local;
}

export function registerProcessRoutes(app: Hono, deps: AppDeps): void {
  app.get('/processes', async (c) => c.json(await scopedProcesses(c, deps)));
  app.get('/processes/:id', (c) =>
    onProcessOwner(c, deps, c.req.param('id'), async () => {
      const { process, meta } = findProcess(deps, c, c.req.param('id'));
      return c.json(
        await describe(process, meta, servedBy(deps, process.id), viewerOf(deps, c.get('principal'))),
      );
    }),
  );
  app.delete('/processes/:id', (c) =>
    onProcessOwner(c, deps, c.req.param('id'), async () => {
      const id = c.req.param('id');
      findProcess(deps, c, id);
      await deps.processes.stop(id, 'stopped by DELETE request');
      return c.json({ success: true, processId: id, status: 'stopped', message: `Process ${id} stopped.` });
    }),
  );
  // Another gateway of this host at the process limit asks for an idle process here (cluster only).
  app.post('/processes/:id/reclaim', async (c) => {
    if (!forwardOf(c) || c.get('principal').role !== 'admin')
      throw new GatewayError('ROUTE_NOT_FOUND', 'No such endpoint.');
    const busy = c.req.query('busy') === '1';
    return c.json({ reclaimed: await deps.processes.reclaimIfIdle(c.req.param('id'), busy) });
  });
  app.get('/sessions', async (c) => c.json(await scopedSessions(c, deps)));
  // Ends a session (its owner or an admin): its client's next request is told it is gone.
  app.delete('/sessions/:id', (c) => {
    const id = c.req.param('id').slice(0, 200);
    const missing = () => new GatewayError('SESSION_NOT_FOUND', `No session with id '${id.slice(0, 100)}'.`);
    return onOwner(
      c,
      deps,
      deps.sessions.has(id),
      async () => {
        const principal = c.get('principal');
        const session = deps.sessions.list().find((s) => s.id === id);
        if (!session || !canAccess(principal, session.owner)) throw missing();
        await deps.sessions.end(id, `ended by ${principal.id} (DELETE /sessions)`);
        return c.json({ success: true, sessionId: id, status: 'ended' });
      },
      missing,
    );
  });
  app.get('/processes/:id/logs', (c) => onProcessOwner(c, deps, c.req.param('id'), () => logs(deps, c)));
  // What to paste into a client to reach this process's package with its settings (secrets as placeholders).
  app.get('/processes/:id/client-config', (c) =>
    onProcessOwner(c, deps, c.req.param('id'), async () => {
      const { meta } = findProcess(deps, c, c.req.param('id'));
      const base = deps.config.http.publicUrl ?? new URL(c.req.url).origin;
      const env = meta.connectionInfo.env;
      return c.json(clientConfigs(packageEndpoint({ ...meta, env }, base, deps.auth.keys.size > 0)));
    }),
  );
  app.get('/logs/:id', (c) => onProcessOwner(c, deps, c.req.param('id'), () => logs(deps, c)));
}
