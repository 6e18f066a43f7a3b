/**
 * @module One cluster, one truth: /processes, /sessions and /metrics gather every live instance's own
 * view (signed requests with `scope=local`, as the caller, so each instance applies its own access
 * rules) and merge them, each item naming its instance; `?scope=local` answers for this instance alone.
 * A process lives on one instance, so a process request not found here is asked of the others (one
 * with a body is passed on to the instance that has the process).
 */
import type { Context } from 'hono';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { InstanceInfo } from '../cluster/cluster-types.js';
import { forwardRequest } from '../cluster/forwarder.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { AppDeps } from './app-deps.js';
import { claimsOf, forwardOf } from './cluster-routing.js';

/** The 404 for a process that is not here, in the cluster, or not the caller's to see. */
export const processNotFound = (id: string) =>
  new GatewayError('PROCESS_NOT_FOUND', `No process with id '${id.slice(0, 100)}'.`);

/** Each other instance gets this long to answer a view, ms. */
const VIEW_TIMEOUT_MS = 3000;

/** True when the request wants the whole cluster (cluster mode, not forwarded, no `scope=local`). */
export function clusterWide(c: Context, deps: AppDeps): boolean {
  return deps.cluster.enabled && !forwardOf(c) && c.req.query('scope') !== 'local';
}

export interface InstanceAnswer {
  instance: InstanceInfo;
  status: number;
  body?: unknown;
  error?: string;
}

/** `method path` on every other live instance as this request's caller (path gets `scope=local`). */
export async function askOthers(c: Context, deps: AppDeps, method = 'GET', path = c.req.path) {
  const others = (await deps.cluster.directory.list()).filter((i) => i.id !== deps.cluster.self.id);
  const url = new URL(c.req.url);
  url.searchParams.set('scope', 'local');
  const target = `${path}?${url.searchParams}`;
  return Promise.all(
    others.map(async (instance): Promise<InstanceAnswer> => {
      try {
        const req = new Request(url, {
          method,
          headers: { accept: 'application/json' },
          signal: AbortSignal.timeout(VIEW_TIMEOUT_MS),
        });
        const res = await forwardRequest(
          req,
          instance.address,
          deps.cluster.secret,
          claimsOf({ principal: c.get('principal'), clientAddress: c.get('clientAddress') }, deps.cluster),
          { target, requestId: c.get('requestId') },
        );
        const text = await res.text();
        return { instance, status: res.status, body: text ? JSON.parse(text) : undefined };
      } catch (err) {
        return { instance, status: 0, error: (err as Error).message };
      }
    }),
  );
}

const summary = (i: InstanceInfo, a?: InstanceAnswer) => ({
  id: i.id,
  host: i.host,
  ...(a && a.status !== 200 ? { error: a.error ?? `HTTP ${a.status}` } : {}),
});

/**
 * Merges this instance's list (`key` of `local`) with the others' (`GET /<key>` on each, whatever route
 * asks: /processes, or the dashboard's snapshot), each item tagged with its instance.
 */
export async function mergedList<K extends string>(
  c: Context,
  deps: AppDeps,
  key: K,
  local: Record<K, unknown[]>,
): Promise<Record<string, unknown>> {
  const self = deps.cluster.self;
  const answers = await askOthers(c, deps, 'GET', `/${key}`);
  const items = [
    ...local[key].map((x) => ({ ...(x as object), instance: self.id })),
    ...answers.flatMap((a) =>
      a.status === 200
        ? ((a.body as Record<K, unknown[]>)[key] ?? []).map((x) => ({
            ...(x as object),
            instance: a.instance.id,
          }))
        : [],
    ),
  ];
  return {
    [key]: items,
    total: items.length,
    instances: [summary(self), ...answers.map((a) => summary(a.instance, a))],
  };
}

/** The metrics of every instance, summed (prom-client's aggregator), in Prometheus text. */
export async function clusterMetrics(c: Context, deps: AppDeps): Promise<string> {
  const answers = await askOthers(c, deps, 'GET', '/metrics/json');
  const all = [
    await deps.metrics.registry.getMetricsAsJSON(),
    ...answers
      .filter((a) => a.status === 200)
      .map((a) => a.body as Awaited<ReturnType<Registry['getMetricsAsJSON']>>),
  ];
  return AggregatorRegistry.aggregate(all).metrics();
}

/**
 * Serves a request about one process: here when it lives here, else on the instance that has it (the
 * first that does not answer 404). @throws GatewayError PROCESS_NOT_FOUND when none has it.
 */
export function onProcessOwner(
  c: Context,
  deps: AppDeps,
  id: string,
  here: () => Promise<Response> | Response,
): Promise<Response> {
  return onOwner(c, deps, !!deps.processes.get(id), here, () => processNotFound(id));
}

/**
 * Answers here when the thing lives here (or outside a cluster); else asks the other instances the
 * same request and answers what the one that has it says (naming it), or `missing()`.
 */
export async function onOwner(
  c: Context,
  deps: AppDeps,
  isHere: boolean,
  here: () => Promise<Response> | Response,
  missing: () => GatewayError,
): Promise<Response> {
  if (isHere || !clusterWide(c, deps)) return here();
  const answers = await askOthers(c, deps, c.req.method);
  const hit = answers.find((a) => a.status !== 0 && a.status !== 404);
  if (!hit) throw missing();
  return c.json({ ...(hit.body as object), instance: hit.instance.id }, hit.status as 200);
}

/**
 * A request about process `id` that carries a body (the playground's): here when it lives here (or
 * outside a cluster), else found with a GET on the others and passed on whole to the one that has it,
 * its answer (a stream too) passed back. Call it before reading the body.
 * @throws GatewayError PROCESS_NOT_FOUND when no instance has it
 */
export async function toProcessOwner(
  c: Context,
  deps: AppDeps,
  id: string,
  here: () => Promise<Response> | Response,
): Promise<Response> {
  if (deps.processes.get(id) || !clusterWide(c, deps)) return here();
  const answers = await askOthers(c, deps, 'GET', `/processes/${encodeURIComponent(id)}`);
  const owner = answers.find((a) => a.status === 200)?.instance;
  if (!owner) throw processNotFound(id);
  const url = new URL(c.req.url);
  url.searchParams.set('scope', 'local');
  return forwardRequest(
    c.req.raw,
    owner.address,
    deps.cluster.secret,
    claimsOf({ principal: c.get('principal'), clientAddress: c.get('clientAddress') }, deps.cluster),
    { target: `${url.pathname}${url.search}`, requestId: c.get('requestId') },
  );
}
