/**
 * @module `subscriptions/listen` (spec 2026-07-28 basic/patterns/subscriptions): the stream is
 * acknowledged with the part of the filter the child can honour, then carries matching change
 * notifications, each stamped with the subscription id. The stream is a port on the child's relay;
 * resource subscriptions go through the relay's shared bookkeeping (the child subscribes once).
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { PortGuard, PortHost } from '../relay/relay-port.js';
import { type HttpCall, SSE_HEADERS } from './http-call.js';
import { ModernErrorCode, type ModernRequest } from './modern-request.js';
import { rpcError } from './post-rules.js';
import { SseWriter } from './sse-writer.js';

const SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';

interface ListenFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

/** The part of the requested filter the child's capabilities can honour. */
function honoured(
  filter: ListenFilter,
  caps: Record<string, { listChanged?: boolean; subscribe?: boolean } | undefined>,
): ListenFilter {
  const out: ListenFilter = {};
  if (filter.toolsListChanged && caps.tools?.listChanged) out.toolsListChanged = true;
  if (filter.promptsListChanged && caps.prompts?.listChanged) out.promptsListChanged = true;
  if (filter.resourcesListChanged && caps.resources?.listChanged) out.resourcesListChanged = true;
  if (
    Array.isArray(filter.resourceSubscriptions) &&
    filter.resourceSubscriptions.length &&
    caps.resources?.subscribe
  )
    out.resourceSubscriptions = filter.resourceSubscriptions.filter((u) => typeof u === 'string');
  return out;
}

function accepts(f: ListenFilter, m: JSONRPCMessage): boolean {
  if (!('method' in m)) return false;
  if (m.method === 'notifications/tools/list_changed') return !!f.toolsListChanged;
  if (m.method === 'notifications/prompts/list_changed') return !!f.promptsListChanged;
  if (m.method === 'notifications/resources/list_changed') return !!f.resourcesListChanged;
  const uri = (m.params as { uri?: string } | undefined)?.uri;
  return m.method === 'notifications/resources/updated' && !!uri && !!f.resourceSubscriptions?.includes(uri);
}

export function listen(
  call: HttpCall,
  body: ModernRequest,
  relay: PortHost,
  keepAliveMs: number,
  guard?: PortGuard,
): void {
  const filter = (body.params as { notifications?: ListenFilter } | undefined)?.notifications;
  if (!filter || typeof filter !== 'object') {
    rpcError(
      call,
      body.id,
      ModernErrorCode.InvalidParams,
      "Invalid params: 'notifications' is required",
      undefined,
      200,
    );
    return;
  }
  const accepted = honoured(filter, (relay.identity.capabilities ?? {}) as never);
  const subscriptionId = body.id as string | number;
  const stamp = (m: JSONRPCMessage) => {
    const params = ('params' in m ? m.params : {}) as Record<string, unknown>;
    return {
      ...m,
      params: {
        ...params,
        _meta: { ...((params._meta as object) ?? {}), [SUBSCRIPTION_ID]: subscriptionId },
      },
    };
  };
  const sse = new SseWriter(call.stream(SSE_HEADERS), keepAliveMs);
  sse.message(
    stamp({
      jsonrpc: '2.0',
      method: 'notifications/subscriptions/acknowledged',
      params: { notifications: accepted },
    }),
  );
  if (Object.keys(accepted).length === 0) {
    sse.message({
      jsonrpc: '2.0',
      id: subscriptionId,
      result: { resultType: 'complete', _meta: { [SUBSCRIPTION_ID]: subscriptionId } },
    });
    sse.end();
    return;
  }
  const port = relay.open(
    {
      carriesServerRequests: false,
      deliver: (m, related) => {
        if (related === undefined && accepts(accepted, m) && !sse.message(stamp(m))) port.close();
      },
    },
    guard,
  );
  // Resources the client may not read are not subscribed to for it either (tool permissions).
  for (const uri of accepted.resourceSubscriptions ?? [])
    if (!guard?.refuse('resources/subscribe', { uri })) relay.listenTo(port, uri);
  call.onAbort(() => {
    port.close();
    sse.end();
  });
}
