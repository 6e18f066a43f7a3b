/**
 * @module One request to a child through its relay, made by the gateway on a caller's behalf (the
 * dashboard's tools and playground): a port of its own, so the caller's tool permissions (the port's
 * guard) and tool pinning (the relay's gate) apply as to any client, and the relay's timeout answers
 * a child that never does. Resolves with the child's answer: a result or a JSON-RPC error; its progress
 * notifications go to `onProgress` when one is given.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { Relay } from './relay.js';
import type { PortGuard, PortSink, RpcError } from './relay-port.js';

export type RelayAnswer = { result: Record<string, unknown> } | { error: RpcError };

let next = 0;

export function relayRequest(
  relay: Relay,
  guard: PortGuard | undefined,
  method: string,
  params: Record<string, unknown>,
  /** Told of the progress of the request (it is asked for when given). */
  onProgress?: (progress: Record<string, unknown>) => void,
): Promise<RelayAnswer> {
  const id = `gw-${++next}`;
  const asked = onProgress
    ? { ...params, _meta: { ...(params._meta as object | undefined), progressToken: id } }
    : params;
  return new Promise((resolve) => {
    const sink: PortSink = {
      carriesServerRequests: false,
      deliver(m: JSONRPCMessage) {
        if ('method' in m && m.method === 'notifications/progress' && m.params)
          onProgress?.(m.params as Record<string, unknown>);
        if (!('id' in m) || m.id !== id || !('result' in m || 'error' in m)) return; // progress, logs
        port.close();
        resolve(
          'error' in m ? { error: m.error as RpcError } : { result: m.result as Record<string, unknown> },
        );
      },
    };
    const port = relay.open(sink, guard);
    port.receive({ jsonrpc: '2.0', id, method, params: asked } as JSONRPCMessage);
  });
}
