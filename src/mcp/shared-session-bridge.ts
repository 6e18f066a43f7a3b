/**
 * @module A legacy (2025-era or SSE) session served by the configuration's shared child instead of a child
 * of its own (`?mode=shared`): the gateway answers initialize from what the child already told it, relays
 * requests through the SharedMultiplexer, and forwards change notifications to the session.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { LEGACY_VERSIONS } from './modern-request.js';
import type { ClientTransport } from './session-bridge.js';
import type { SharedMultiplexer } from './shared-multiplexer.js';

type RequestId = string | number;

export class SharedSessionBridge {
  private readonly inFlight = new Map<RequestId, string>();
  private readonly unlisten: () => void;
  private closed = false;

  constructor(
    private readonly transport: ClientTransport,
    private readonly mux: SharedMultiplexer,
  ) {
    transport.onmessage = (m) => this.fromClient(m);
    this.unlisten = mux.listen((m) => void this.transport.send(m).catch(() => undefined));
  }

  private fromClient(m: JSONRPCMessage): void {
    if (this.closed) return;
    if ('method' in m && 'id' in m) {
      if (m.method === 'initialize') {
        void this.transport.send(
          { jsonrpc: '2.0', id: m.id, result: this.initializeResult(m.params) } as JSONRPCMessage,
          { relatedRequestId: m.id },
        );
        return;
      }
      const reply = (r: JSONRPCMessage) =>
        void this.transport.send(r, { relatedRequestId: m.id }).catch(() => undefined);
      const childId = this.mux.send(
        m as { id: RequestId; method: string; params?: Record<string, unknown> },
        {
          related: reply,
          finish: (r) => {
            this.inFlight.delete(m.id);
            reply(r);
          },
          canCarryServerRequests: true,
        },
      );
      this.inFlight.set(m.id, childId);
      return;
    }
    if ('method' in m) {
      if (m.method === 'notifications/cancelled') {
        const requestId = (m.params as { requestId?: RequestId } | undefined)?.requestId;
        const childId = requestId === undefined ? undefined : this.inFlight.get(requestId);
        if (childId) this.mux.cancel(childId, 'cancelled by the client');
      }
      // notifications/initialized and others concern the shared child's own session with the gateway.
      return;
    }
    this.mux.answerServerRequest(m);
  }

  /** The shared child's identity, at the client's protocol version when the gateway serves it. */
  private initializeResult(params: unknown) {
    const requested = (params as { protocolVersion?: string } | undefined)?.protocolVersion;
    const id = this.mux.process.identity;
    return {
      protocolVersion: requested && LEGACY_VERSIONS.includes(requested) ? requested : LEGACY_VERSIONS[0],
      capabilities: id.capabilities ?? {},
      serverInfo: id.serverInfo ?? { name: 'unknown', version: '0' },
      ...(id.instructions ? { instructions: id.instructions } : {}),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unlisten();
    for (const childId of this.inFlight.values()) this.mux.cancel(childId, 'the session ended');
    this.inFlight.clear();
  }
}
