/**
 * @module `POST /processes/{id}/request`: the dashboard's tools and playground ask a running server
 * (its owner or an admin; in a cluster, passed on to the instance that runs it) for its tools, resources and prompts, call a
 * tool, read a resource or get a prompt. The request goes through the process's relay on a port of its
 * own (relay-request.ts): the caller's tool permissions and tool pinning apply as to any client, and
 * tool calls are audited. The answer is the child's: `{result}` or `{error}` (JSON-RPC); asked with
 * `Accept: text/event-stream`, the request's progress comes first as `progress` events, then the answer
 * as a `result` event.
 */
import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { GatewayError } from '../../errors/gateway-error.js';
import { relayRequest } from '../../relay/relay-request.js';
import { packageOf } from '../../runtime/process-meta.js';
import type { AppDeps } from '../app-deps.js';
import { toProcessOwner } from '../cluster-views.js';
import { readRequestJson } from '../json-body.js';
import { wantsProgress } from './launch-progress.js';
import { findProcess } from './process-routes.js';

const METHODS = [
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
] as const;

const Body = z
  .object({ method: z.enum(METHODS), params: z.record(z.string(), z.unknown()).default({}) })
  .strict();

export function registerProcessRequestRoutes(app: Hono, deps: AppDeps): void {
  app.post('/processes/:id/request', (c) => {
    const id = c.req.param('id');
    return toProcessOwner(c, deps, id, () => ask(c, deps, id));
  });
}

/** Asks process `id`, which lives here. */
async function ask(c: Context, deps: AppDeps, id: string): Promise<Response> {
  const { process, meta } = findProcess(deps, c, id);
  const parsed = Body.safeParse(await readRequestJson(c, deps.config.request.maxBodyBytes));
  if (!parsed.success)
    throw new GatewayError(
      'INVALID_PARAMETER',
      `Invalid parameter: ${parsed.error.issues[0]?.path.join('.') || 'body'}: ${parsed.error.issues[0]?.message ?? 'invalid'}.`,
      { parameter: 'method, params', validValues: [...METHODS] },
    );
  const relay = deps.relays.of(process);
  const guard = deps.guards.for(c.get('principal'), packageOf(meta));
  const { method, params } = parsed.data;
  if (!wantsProgress(c)) return c.json(await relayRequest(relay, guard, method, params));
  c.header('x-accel-buffering', 'no');
  return streamSSE(c, async (stream) => {
    const send = (event: string, data: unknown) => stream.writeSSE({ event, data: JSON.stringify(data) });
    const answer = await relayRequest(relay, guard, method, params, (p) => {
      void send('progress', p).catch(() => undefined);
    });
    await send('result', answer);
  });
}
