/**
 * @module Routes a session's outgoing messages: the answer to a request (and what relates to it) goes to
 * the per-request transport that carried that request, when there is one; everything else goes to the
 * session's own transport (its GET stream). This lets 2025-era sessions answer each request with JSON
 * unless something must be streamed first, while keeping sessions, GET streams and DELETE.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { ClientTransport } from './session-bridge.js';

type RequestId = string | number;

export class ExchangeRouter implements ClientTransport {
  onmessage?: (message: JSONRPCMessage) => void;
  private readonly exchanges = new Map<RequestId, ClientTransport>();

  constructor(private readonly session: ClientTransport) {
    session.onmessage = (m) => this.onmessage?.(m);
  }

  async send(m: JSONRPCMessage, options?: { relatedRequestId?: RequestId }): Promise<void> {
    const related = options?.relatedRequestId;
    const exchange = related === undefined ? undefined : this.exchanges.get(related);
    if (!exchange || related === undefined) return this.session.send(m, options);
    if (('result' in m || 'error' in m) && 'id' in m && m.id === related) this.exchanges.delete(related);
    return exchange.send(m, options);
  }

  /**
   * True when a request with this id is in flight in the session: a second one must be refused (spec
   * basic: "The request ID MUST NOT have been previously used by the requestor within the same
   * session"), or it would receive the other's answer while the other hangs.
   */
  inFlight(id: RequestId): boolean {
    return this.exchanges.has(id);
  }

  /** Serves one client request over its own exchange transport. */
  dispatch(request: JSONRPCMessage & { id: RequestId }, exchange: ClientTransport): void {
    this.exchanges.set(request.id, exchange);
    this.onmessage?.(request);
  }

  /** Forgets an exchange whose client went away; later messages for it go to the session stream. */
  forget(id: RequestId): void {
    this.exchanges.delete(id);
  }
}
