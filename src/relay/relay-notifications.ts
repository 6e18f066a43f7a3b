/**
 * @module Where a child's notifications go: list changes to every port; resource updates to the ports
 * subscribed; progress to the exchange whose token it carries (restored to the client's token); a
 * cancellation of a server request to the port asked; anything else (logs) to the newest exchange that
 * wants it, else to ports that set a log level, else to the only port of a child of its own.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { type Exchange, type Port, type RequestId, sinkOf } from './relay-port.js';
import type { Subscriptions } from './relay-subscriptions.js';

/** Change notifications: they belong to no request; list changes go to every port. */
const LIST_CHANGED = /^notifications\/(tools|prompts|resources)\/list_changed$/;

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
