/**
 * @module A session's port on its child's relay. Client messages arrive from a POST (session-post.ts) or
 * from the session's SDK transport (the initialize); what the relay delivers goes to the POST that carried
 * the request it relates to, when that POST is still open, else to the session's own transport (its GET
 * stream, or the legacy SSE stream). Messages that arrive before the session is bound to a child (a
 * legacy SSE session picks its child at initialize) wait in a short queue.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { Logger } from '../observability/logger.js';
import type { Port, PortGuard, PortHost, PortSink, RequestId } from '../relay/relay-port.js';

/** The client-facing side: what the SDK's server transports provide. */
export interface ClientTransport {
  onmessage?: (message: JSONRPCMessage) => void;
  send(message: JSONRPCMessage, options?: { relatedRequestId?: RequestId }): Promise<void>;
}

/** Messages kept while the session has no child yet. */
const MAX_QUEUED = 100;

export class SessionPort implements PortSink {
  readonly carriesServerRequests = true;
  private relay: PortHost | undefined;
  private port: Port | undefined;
  private queue: Array<{ m: JSONRPCMessage; reply: PortSink | undefined }> = [];
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

  /** The relay and port of a bound session (a POST hands its messages to the relay directly). */
  get target(): { relay: PortHost; port: Port } | undefined {
    return this.relay && this.port ? { relay: this.relay, port: this.port } : undefined;
  }

  /** Attaches to the child's relay (or a toolset's hub) and hands over what waited. */
  bind(relay: PortHost, guard?: PortGuard): void {
    this.relay = relay;
    this.port = relay.open(this, guard);
    const queued = this.queue;
    this.queue = [];
    for (const { m, reply } of queued) this.port.receive(m, reply);
  }

  /** A client message; `reply`: the POST that carried a request, which answers it. */
  receive(m: JSONRPCMessage, reply?: PortSink): void {
    if (this.port) {
      this.relay?.fromClient(this.port, m, reply);
      return;
    }
    if (this.queue.length === 0) this.onUnbound?.(m);
    if (this.queue.length < MAX_QUEUED) this.queue.push({ m, reply });
  }

  /** What belongs to no open POST: the session's own stream. */
  deliver(m: JSONRPCMessage, related?: RequestId): void {
    this.transport
      .send(m, related === undefined ? undefined : { relatedRequestId: related })
      .catch((err: unknown) =>
        this.logger.debug({ err: (err as Error).message }, 'message for a client that is gone'),
      );
  }

  /** The POST that carried request `id` went away: later messages for it go to the session stream. */
  detachReply(id: RequestId, reply: PortSink): void {
    if (this.port) this.relay?.detachReply(this.port, id, reply);
  }

  /**
   * True when a request with this id is in flight in the session: a second one must be refused (spec
   * basic: "The request ID MUST NOT have been previously used by the requestor within the same
   * session"), or it would receive the other's answer while the other hangs.
   */
  inFlight(id: RequestId): boolean {
    return !!this.port?.inFlight(id) || this.queue.some((q) => 'id' in q.m && q.m.id === id);
  }

  /** Requests of this session the child has not answered. */
  get pending(): number {
    return this.port?.pending ?? 0;
  }

  close(): void {
    this.port?.close();
    this.queue = [];
  }
}
