/**
 * @module A session's port on its child's relay. Client messages arrive from the session's SDK transport
 * (or from a per-request transport, for a POSTed request); what the relay delivers goes to the transport
 * that carried the request it relates to, when there is one, else to the session's own transport (its
 * GET stream). Messages that arrive before the session is bound to a child (a legacy SSE session picks
 * its child at initialize) wait in a short queue.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { Logger } from '../observability/logger.js';
import type { Relay } from './relay.js';
import type { Port, PortSink, RequestId } from './relay-port.js';

/** The client-facing side: what the SDK's server transports provide. */
export interface ClientTransport {
  onmessage?: (message: JSONRPCMessage) => void;
  send(message: JSONRPCMessage, options?: { relatedRequestId?: RequestId }): Promise<void>;
}

/** Messages kept while the session has no child yet. */
const MAX_QUEUED = 100;

export class SessionPort implements PortSink {
  readonly carriesServerRequests = true;
  private readonly exchanges = new Map<RequestId, ClientTransport>();
  private port: Port | undefined;
  private queue: JSONRPCMessage[] = [];
  /** Called with the first message while unbound (a legacy session binds at initialize). */
  onUnbound?: (m: JSONRPCMessage) => void;

  constructor(
    private readonly transport: ClientTransport,
    private readonly logger: Logger,
  ) {
    transport.onmessage = (m) => this.receive(m);
  }

  get bound(): boolean {
    return this.port !== undefined;
  }

  /** Attaches to the child's relay and hands over what waited. */
  bind(relay: Relay): void {
    this.port = relay.open(this);
    const queued = this.queue;
    this.queue = [];
    for (const m of queued) this.port.receive(m);
  }

  private receive(m: JSONRPCMessage): void {
    if (this.port) {
      this.port.receive(m);
      return;
    }
    if (this.queue.length === 0) this.onUnbound?.(m);
    if (this.queue.length < MAX_QUEUED) this.queue.push(m);
  }

  deliver(m: JSONRPCMessage, related?: RequestId): void {
    const exchange = related === undefined ? undefined : this.exchanges.get(related);
    if (exchange && ('result' in m || 'error' in m) && 'id' in m && m.id === related)
      this.exchanges.delete(related as RequestId);
    const to = exchange ?? this.transport;
    to.send(m, related === undefined ? undefined : { relatedRequestId: related }).catch((err: unknown) =>
      this.logger.debug({ err: (err as Error).message }, 'message for a client that is gone'),
    );
  }

  /** Serves one client request over its own exchange transport (a POST answered on its own). */
  dispatch(request: JSONRPCMessage & { id: RequestId }, exchange: ClientTransport): void {
    this.exchanges.set(request.id, exchange);
    this.receive(request);
  }

  /** Forgets an exchange whose client went away; later messages for it go to the session stream. */
  forget(id: RequestId): void {
    this.exchanges.delete(id);
  }

  /**
   * True when a request with this id is in flight in the session: a second one must be refused (spec
   * basic: "The request ID MUST NOT have been previously used by the requestor within the same
   * session"), or it would receive the other's answer while the other hangs.
   */
  inFlight(id: RequestId): boolean {
    return this.exchanges.has(id) || !!this.port?.inFlight(id);
  }

  /** Requests of this session the child has not answered. */
  get pending(): number {
    return this.port?.open.size ?? 0;
  }

  close(): void {
    this.port?.close();
    this.queue = [];
  }
}
