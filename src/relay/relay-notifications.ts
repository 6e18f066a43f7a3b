/**
 * @module Where a child's notifications go: list changes to every port; resource updates to the ports
 * subscribed; progress to the exchange whose token it carries (restored to the client's token); a
 * cancellation of a server request to the port asked; anything else (logs) to the newest exchange that
 * wants it, else to ports that set a log level, else to the only port of a child of its own.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { type Exchange, type Port, type PortGuard, type RequestId, sinkOf } from './relay-port.js';
import type { Subscriptions } from './relay-subscriptions.js';

/** Change notifications: they belong to no request; list changes go to every port. */
const LIST_CHANGED = /^notifications\/(tools|prompts|resources)\/list_changed$/;

/** The list a change notification is about (`tools/list` for notifications/tools/list_changed). */
const LIST_OF: Record<string, string> = {
  'notifications/tools/list_changed': 'tools/list',
  'notifications/prompts/list_changed': 'prompts/list',
};

/** How long the relay waits for its own look at a changed list before passing the change on, ms. */
const RECHECK_TIMEOUT_MS = 10_000;

/** What of the relay the routing reads. */
export interface NotificationRoutes {
  readonly ports: ReadonlySet<Port>;
  readonly exchanges: ReadonlyMap<string, Exchange>;
  readonly serverRequests: ReadonlyMap<RequestId, Port>;
  readonly subscriptions: Subscriptions;
  newest(filter: (e: Exchange) => boolean): Exchange | undefined;
}

/** The only port, when there is exactly one (a child of its own): it gets what belongs to no one. */
function lonePort(r: NotificationRoutes): Port[] {
  return r.ports.size === 1 ? [...r.ports] : [];
}

/**
 * A change of a list goes on only once the relay has listed it itself through `gate` (tool pinning: a
 * changed definition is held before any client is told to list again); anything else, and everything
 * when there is no gate, goes on at once.
 */
export function checkThenRoute(
  r: NotificationRoutes & { child: { request(m: string, p: undefined, t: number): Promise<unknown> } },
  m: JSONRPCMessage & { method: string },
  gate: PortGuard | undefined,
): void {
  const list = LIST_OF[m.method];
  if (!list || !gate) {
    routeNotification(r, m);
    return;
  }
  void r.child
    .request(list, undefined, RECHECK_TIMEOUT_MS)
    .then(
      (result) => gate.shape(list, result),
      () => undefined,
    )
    .finally(() => routeNotification(r, m));
}

export function routeNotification(r: NotificationRoutes, m: JSONRPCMessage & { method: string }): void {
  const params = ('params' in m ? m.params : undefined) as Record<string, unknown> | undefined;
  if (LIST_CHANGED.test(m.method)) {
    for (const p of r.ports) p.sink.deliver(m);
    return;
  }
  if (m.method === 'notifications/resources/updated') {
    const subs = r.subscriptions.of(String(params?.uri));
    for (const p of subs ?? lonePort(r)) p.sink.deliver(m);
    return;
  }
  if (params?.progressToken !== undefined) {
    const ex = r.exchanges.get(String(params.progressToken));
    if (ex?.clientToken !== undefined)
      sinkOf(ex)?.deliver(
        { ...m, params: { ...params, progressToken: ex.clientToken } } as JSONRPCMessage,
        ex.clientId,
      );
    return;
  }
  if (m.method === 'notifications/cancelled') {
    const port = r.serverRequests.get(params?.requestId as RequestId);
    port?.sink.deliver(m);
    return;
  }
  const isLog = m.method === 'notifications/message';
  const ex = r.newest((e) => !isLog || !!e.port?.wantsLog(params?.level));
  if (ex?.port) {
    sinkOf(ex)?.deliver(m, ex.clientId);
    return;
  }
  const targets = isLog
    ? [...r.ports].filter((p) => p.logLevel !== undefined && p.wantsLog(params?.level))
    : [];
  for (const p of targets.length > 0 ? targets : lonePort(r)) p.sink.deliver(m);
}
