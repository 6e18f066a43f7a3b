/**
 * @module The live dashboard: `/dashboard` serves a page of our own (ui/, no CDN; the CSP allows no
 * inline script) and `/dashboard/events` streams snapshots (health, the processes and sessions the caller
 * may see, request totals for the charts) as server-sent events every 2 s. The page acts through the
 * ordinary API with the caller's key, so a `user` key sees and controls only its own processes.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { GatewayError } from '../../errors/gateway-error.js';
import { StreamCap } from '../../policy/stream-cap.js';
import type { AppDeps } from '../app-deps.js';
import { clusterHealthView, healthFor } from './info-routes.js';
import { processesView, scopedProcesses, scopedSessions, sessionsView } from './process-routes.js';

/** ui/ beside src/ and dist/ (both two levels below the package root). */
const UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../ui');
const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'trust.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'tools.js': 'text/javascript; charset=utf-8',
  'requests.js': 'text/javascript; charset=utf-8',
  'toolsets.js': 'text/javascript; charset=utf-8',
  'client-config.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
  'app.css': 'text/css; charset=utf-8',
};
const SNAPSHOT_EVERY_MS = 2000;

/** Paths of the dashboard that load without a key (the page asks for one before any data). */
export const DASHBOARD_PUBLIC_PATHS = [
  '/dashboard',
  '/favicon.ico',
  ...Object.keys(ASSETS).map((f) => `/dashboard/${f}`),
];

/** Request totals from the gateway's own metrics (the page charts their change). */
async function requestTotals(deps: AppDeps) {
  const counts = (await deps.metrics.httpRequests.get()).values;
  const durations = (await deps.metrics.httpDuration.get()).values;
  const sum = (name: string) =>
    durations.filter((v) => v.metricName === name).reduce((a, v) => a + v.value, 0);
  return {
    requests: counts.reduce((a, v) => a + v.value, 0),
    errors: counts.filter((v) => Number(v.labels.status) >= 500).reduce((a, v) => a + v.value, 0),
    seconds: sum('mcp_gateway_http_request_duration_seconds_sum'),
    timed: sum('mcp_gateway_http_request_duration_seconds_count'),
  };
}

/** The whole cluster's state, or this instance's while the cluster's shared state is unreachable. */
async function snapshot(c: Context, deps: AppDeps) {
  const principal = c.get('principal');
  const lists = async () => {
    try {
      return { ...(await scopedProcesses(c, deps)), sessions: (await scopedSessions(c, deps)).sessions };
    } catch {
      const local = await processesView(deps, principal);
      return { ...local, sessions: sessionsView(deps, principal).sessions, scope: 'local' };
    }
  };
  return {
    at: Date.now(),
    principal: { id: principal.id, role: principal.role },
    health: healthFor(principal, await clusterHealthView(deps)),
    ...(await lists()),
    // The audit log is the operator's: admins see its latest events (this instance's).
    ...(principal.role === 'admin' ? { audit: deps.audit.query({ limit: 25 }) } : {}),
    totals: await requestTotals(deps),
  };
}

async function asset(c: Context, file: string, type: string): Promise<Response> {
  const body = await readFile(path.join(UI_DIR, file), 'utf8');
  // The app-wide Content-Security-Policy (secureHeaders) allows scripts from our own files only.
  return c.body(body, 200, { 'content-type': type, 'cache-control': 'no-cache' });
}

export function registerDashboardRoutes(app: Hono, deps: AppDeps): void {
  app.get('/dashboard', (c) => asset(c, 'dashboard.html', 'text/html; charset=utf-8'));
  // Browsers ask every site for /favicon.ico: the dashboard's icon (SVG, which they take from there too).
  app.get('/favicon.ico', (c) => asset(c, 'favicon.svg', 'image/svg+xml'));
  for (const [file, type] of Object.entries(ASSETS))
    app.get(`/dashboard/${file}`, (c) => asset(c, file, type));
  const streams = new StreamCap({
    perKey: deps.config.rateLimit.dashboardStreamsPerKey,
    perAddress: deps.config.rateLimit.dashboardStreamsPerAddress,
  });
  app.get('/dashboard/events', (c) => {
    const place = streams.acquire(c.get('principal').id, c.get('clientAddress'));
    if (typeof place !== 'function')
      throw new GatewayError(
        'TOO_MANY_STREAMS',
        `This ${place.scope === 'key' ? 'key' : 'address'} has ${place.limit} dashboard streams open already.`,
        { ...place },
      );
    return streamSSE(c, async (stream) => {
      let open = true;
      stream.onAbort(() => {
        open = false;
        place();
      });
      try {
        while (open) {
          await stream.writeSSE({ event: 'snapshot', data: JSON.stringify(await snapshot(c, deps)) });
          await stream.sleep(SNAPSHOT_EVERY_MS);
        }
      } finally {
        place();
      }
    });
  });
}
