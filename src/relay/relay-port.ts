/**
 * @module A client's attachment to a relay: a port per session, per stateless request or per listening
 * stream. The port keeps what the server would keep per client on a child of its own: how many of its
 * requests are in flight (the relay's one in-flight map holds them), the log level it asked for and the
 * resources it subscribed to.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { Span } from '../observability/tracing.js';
import type { ServerIdentity } from '../runtime/managed-process.js';
import type { toolCallOf } from './relay-tool-calls.js';

export type RequestId = string | number;

/**
 * The relay's id of a port's request: the port's number and the client's id, typed (1 and "1" are two
 * ids). Clients must not reuse an id within a session (spec basic "Requests"), so while a request is in
 * flight its relay id is unique; a stateless request has a port of its own.
 */
export const childIdOf = (port: Port, clientId: RequestId): string =>
  `${port.seq}${typeof clientId === 'number' ? '#' : '$'}${clientId}`;

/** What a client attachment gives the relay. */
export interface PortSink {
  /**
   * A message for the client. `related` is the id of the client request it belongs to (its answer, its
   * progress, a server request made while serving it); undefined for the client's own stream.
   */
  deliver(m: JSONRPCMessage, related?: RequestId): void;
  /** Whether server requests (sampling, elicitation, roots) can be sent to this client. */
  readonly carriesServerRequests: boolean;
  /**
   * 2026-07-28 clients: whether the client request `related` may end with an input request for `method`
   * (spec 2026-07-28 basic/patterns/mrtr).
   */
  acceptsInputRequest?(method: string, related: RequestId): boolean;
  /** The span of the client request this sink answers (tracing on): relayed work hangs under it. */
  readonly span?: Span | undefined;
}

/** A JSON-RPC error object. */
export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

/**
 * What a port's client may see and do of the child (tool permissions): checked on each of its requests,
 * and applied to each answer. Absent: everything.
 */
export interface PortGuard {
  /** The error for a request the client may not make (a tool it may not call, say), else undefined. */
  refuse(method: string, params: Record<string, unknown> | undefined): RpcError | undefined;
  /** A result with what the client may not see left out (lists); the result itself when nothing is. */
  shape(method: string, result: unknown): unknown;
}

/** The part of the relay a port calls. */
export interface PortOwner {
  fromClient(port: Port, m: JSONRPCMessage, reply?: PortSink): void;
  isInFlight(port: Port, id: RequestId): boolean;
  closePort(port: Port): void;
}

/**
 * What a client attachment (a session, a stateless request, a listening stream) talks to: one child's
 * relay, or a toolset's hub of several relays (front/toolset-hub.ts).
 */
export interface PortHost extends PortOwner {
  /** Who the client talks to: the child's identity, or the toolset's merged one. */
  readonly identity: ServerIdentity;
  /** Attaches a client; `guard`: what it may see and do (tool permissions). */
  open(sink: PortSink, guard?: PortGuard): Port;
  /** The HTTP exchange of the port's request went away: what follows goes to the port's own sink. */
  detachReply(port: Port, clientId: RequestId, reply: PortSink): void;
  /** A modern client's retry after an InputRequiredResult; false when the state is unknown or expired. */
  resume(
    requestState: string,
    port: Port,
    request: JSONRPCMessage & { id: RequestId; method: string; params?: Record<string, unknown> },
    reply?: PortSink,
  ): boolean;
  /** Subscribes a listening stream's port to resource `uri` (the child hears it once for all ports). */
  listenTo(port: Port, uri: string): void;
}

/** A relayed request in flight (the relay's one in-flight map holds them). */
export interface Exchange {
  childId: string;
  /** Undefined while the exchange waits for a modern client's retry (MRTR). */
  port: Port | undefined;
  /** Where this request's answer and related messages go when not to the port's sink (its HTTP exchange). */
  reply: PortSink | undefined;
  clientId: RequestId;
  method: string;
  /** The client's progress token; the child was given the exchange's childId in its place. */
  clientToken?: string | number;
  timer: NodeJS.Timeout;
  /** A tools/call's tool name and start (for the audit log). */
  tool?: ReturnType<typeof toolCallOf>;
  /** The round trip's span (tracing on). */
  span?: Span | undefined;
}

/** Where an exchange's messages go: its own HTTP exchange, else its port's sink. */
export const sinkOf = (ex: Exchange): PortSink | undefined => ex.reply ?? ex.port?.sink;

/** Log levels, least severe first (spec server/utilities/logging). */
export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

export class Port {
  /** Requests of this port the child has not answered (the relay's in-flight map holds them). */
  pending = 0;
  /** Server request ids sent to this client and not answered yet. */
  readonly asked = new Set<RequestId>();
  /** Resource URIs this client subscribed to. */
  readonly subscriptions = new Set<string>();
  /** The log level the client set (index in LOG_LEVELS); undefined: it never asked. */
  logLevel: number | undefined;
  lastActivity = Date.now();
  closed = false;

  constructor(
    private readonly owner: PortOwner,
    readonly sink: PortSink,
    readonly seq: number,
    /** What its client may see and do (tool permissions); undefined: everything. */
    readonly guard?: PortGuard | undefined,
  ) {}

  /**
   * A message from the client: a request, a notification or an answer to a server request. `reply`:
   * where what belongs to this request goes (its answer, progress, server requests made for it), when
   * not the port's own sink (a POSTed request answered on its own HTTP exchange).
   */
  receive(m: JSONRPCMessage, reply?: PortSink): void {
    this.owner.fromClient(this, m, reply);
  }

  /** True when a request with this client id is in flight (the id must not be reused meanwhile). */
  inFlight(id: RequestId): boolean {
    return this.pending > 0 && this.owner.isInFlight(this, id);
  }

  /** Whether a log message at `level` reaches this client. */
  wantsLog(level: unknown): boolean {
    if (this.logLevel === undefined) return true;
    const at = LOG_LEVELS.indexOf(String(level));
    return at === -1 || at >= this.logLevel;
  }

  /** Detaches: the child hears cancellations for what is in flight; nothing more is delivered. */
  close(): void {
    if (this.closed) return;
    this.owner.closePort(this);
    this.closed = true;
  }
}
