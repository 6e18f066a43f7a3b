/**
 * @module The one relay per child. Clients attach as ports (a session, a stateless request, a listening
 * stream); every relayed request gets an id of the relay's own, made of its port's number and its client
 * id, so clients never collide and answers, progress and cancellations find their way back in one map
 * lookup (spec basic/utilities/progress, cancellation); that id is also the child's progress token. A request past the request timeout fails and the child hears notifications/cancelled; a
 * crash fails everything in flight at once. Initialize is answered from what the child told the gateway
 * (the child was initialized with the client's profile), so a session costs no process by itself.
 * What a server keeps per client is kept per port: subscriptions (the child subscribes once), log
 * levels (the child logs at the most verbose level asked; each port gets what it asked for) and the
 * server requests asked of it.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { Logger } from '../observability/logger.js';
import { endSpan, type Span, type Tracing } from '../observability/tracing.js';
import { JsonRpcCode } from '../protocol/rpc-errors.js';
import type { ProcessClient, ServerIdentity } from '../runtime/managed-process.js';
import type { PackageRef } from '../spec/package-spec.js';
import { initializeResultOf } from './relay-identity.js';
import { InputRequests } from './relay-inputs.js';
import { checkThenRoute } from './relay-notifications.js';
import {
  childIdOf,
  type Exchange,
  Port,
  type PortGuard,
  type PortHost,
  type PortSink,
  type RequestId,
  sinkOf,
} from './relay-port.js';
import { LOG_LEVELS, mostVerboseLevel, Subscriptions, withLogLevel } from './relay-subscriptions.js';
import { type ToolCallRecord, toolCallOf, toolCallOutcome } from './relay-tool-calls.js';
import { childSpan } from './relay-trace.js';

/** The child as the relay sees it (ManagedProcess; a fake in unit tests). */
export interface RelayChild {
  readonly id: string;
  /** `running` while it serves (ManagedProcess's status). */
  readonly status: string;
  readonly identity: ServerIdentity;
  attach(client: ProcessClient | null): void;
  send(m: JSONRPCMessage): boolean;
  request(method: string, params: Record<string, unknown> | undefined, timeoutMs: number): Promise<unknown>;
}

type Request = JSONRPCMessage & { id: RequestId; method: string; params?: Record<string, unknown> };

export class Relay implements ProcessClient, PortHost {
  /** The one in-flight map: every relayed request awaiting the child's answer, by relay id. */
  readonly exchanges = new Map<string, Exchange>();
  /** Server requests asked of a port and not answered yet, by the child's id for them. */
  readonly serverRequests = new Map<RequestId, Port>();
  readonly ports = new Set<Port>();
  readonly subscriptions = new Subscriptions();
  private readonly inputs: InputRequests;
  private next = 1;

  constructor(
    readonly child: RelayChild,
    private readonly o: {
      requestTimeoutMs: number;
      logger?: Logger;
      /** Begins every MRTR requestState (in a cluster: this instance's id and a dot, to route retries). */
      statePrefix?: string;
      /** Told of every tools/call that ends (the audit log). */
      onToolCall?: (call: ToolCallRecord) => void;
      /** Spans of each round trip to the child, when tracing is on. */
      tracing?: Tracing;
      /** The package the child runs (what tool permissions are asked about). */
      package?: PackageRef;
      /** What every client of this child may see and do (tool pinning), before each port's own guard. */
      gate?: PortGuard;
    },
  ) {
    this.inputs = new InputRequests(this, o.statePrefix);
    child.attach(this);
  }

  open(sink: PortSink, guard?: PortGuard): Port {
    const port = new Port(this, sink, this.next++, guard);
    this.ports.add(port);
    return port;
  }

  /** The package the child runs (undefined in unit tests without one). */
  get package(): PackageRef | undefined {
    return this.o.package;
  }

  /** Relayed requests awaiting the child's answer. */
  get inFlight(): number {
    return this.exchanges.size;
  }

  /**
   * A message from a port's client: a request (answered to `reply` when given: its HTTP exchange), a
   * notification, or an answer to a server request. Nothing from a closed port.
   */
  fromClient(port: Port, m: JSONRPCMessage, reply?: PortSink): void {
    if (port.closed) return;
    port.lastActivity = Date.now();
    if ('method' in m && 'id' in m) {
      this.fromClientRequest(port, m as Request, reply);
      return;
    }
    if ('method' in m) {
      if (m.method === 'notifications/initialized') return; // the gateway initialized the child
      if (m.method === 'notifications/cancelled') {
        const requestId = (m.params as { requestId?: RequestId } | undefined)?.requestId;
        if (requestId !== undefined && this.isInFlight(port, requestId))
          this.cancel(childIdOf(port, requestId), 'cancelled by the client');
        return;
      }
      this.child.send(m);
      return;
    }
    // An answer to a server request: only from the port it was asked of.
    const id = 'id' in m ? (m.id as RequestId) : undefined;
    if (id === undefined || !port.asked.delete(id)) return;
    this.serverRequests.delete(id);
    this.child.send(m);
  }

  /** True when the port's request `id` is in flight. */
  isInFlight(port: Port, id: RequestId): boolean {
    return this.exchanges.get(childIdOf(port, id))?.port === port;
  }

  private fromClientRequest(port: Port, m: Request, reply?: PortSink): void {
    const refused = this.o.gate?.refuse(m.method, m.params) ?? port.guard?.refuse(m.method, m.params);
    if (refused) {
      (reply ?? port.sink).deliver({ jsonrpc: '2.0', id: m.id, error: refused } as JSONRPCMessage, m.id);
      return;
    }
    const local = this.localAnswer(port, m);
    if (local) (reply ?? port.sink).deliver({ jsonrpc: '2.0', id: m.id, ...local } as JSONRPCMessage, m.id);
    else this.relay(port, m.method === 'logging/setLevel' ? withLogLevel(this.ports, port, m) : m, reply);
  }

  /** What the relay answers itself: a reused id, initialize, and subscriptions the child already has. */
  private localAnswer(port: Port, m: Request): object | undefined {
    if (port.pending > 0 && this.isInFlight(port, m.id))
      return {
        error: { code: JsonRpcCode.InvalidRequest, message: 'Invalid Request: this id is already in flight' },
      };
    if (m.method === 'initialize') return { result: initializeResultOf(this.child.identity, m.params) };
    const uri = (m.params as { uri?: unknown } | undefined)?.uri;
    if (typeof uri !== 'string') return undefined;
    if (m.method === 'resources/subscribe' && !this.subscriptions.add(port, uri)) return { result: {} };
    if (m.method === 'resources/unsubscribe' && !this.subscriptions.remove(port, uri)) return { result: {} };
    return undefined;
  }

  listenTo(port: Port, uri: string): void {
    if (this.subscriptions.add(port, uri)) this.own('resources/subscribe', { uri });
  }

  get identity(): ServerIdentity {
    return this.child.identity;
  }

  /**
   * Relays a client request under the relay's id for it, which is also the progress token the child
   * sees. Params without `_meta` pass as they are (no copy).
   */
  relay(port: Port, request: Request, reply?: PortSink): string {
    const { id: clientId, method } = request;
    const childId = childIdOf(port, clientId);
    let params = request.params;
    let clientToken: string | number | undefined;
    const meta = params?._meta as Record<string, unknown> | undefined;
    if (meta) {
      const childMeta: Record<string, unknown> = {};
      // Modern per-request metadata means nothing to a legacy child; everything else passes through.
      for (const k in meta) if (!k.startsWith('io.modelcontextprotocol/')) childMeta[k] = meta[k];
      clientToken = meta.progressToken as string | number | undefined;
      if (clientToken !== undefined) childMeta.progressToken = childId;
      params = { ...params };
      if (Object.keys(childMeta).length > 0) params._meta = childMeta;
      else delete params._meta;
    }
    const timer = setTimeout(() => this.timeOut(childId), this.o.requestTimeoutMs);
    timer.unref();
    const tool = toolCallOf(method, params ?? {});
    const tracing = this.o.tracing;
    let span: Span | undefined;
    if (tracing?.enabled) {
      ({ span, params } = childSpan(tracing, this.child.id, method, tool?.name, params, reply ?? port.sink));
    }
    this.exchanges.set(childId, { childId, port, reply, clientId, method, clientToken, timer, tool, span });
    port.pending++;
    const sent = this.child.send({ jsonrpc: '2.0', id: childId, method, params } as JSONRPCMessage);
    if (!sent) this.fail(childId, JsonRpcCode.ServerUnavailable, 'The MCP server is not running.');
    return childId;
  }

  /**
   * The HTTP exchange of the port's request `clientId` went away: what the child sends for it from now
   * on goes to the port's own sink (a 2025 client's disconnect is no cancellation: spec 2025-11-25
   * basic/transports "Cancellation").
   */
  detachReply(port: Port, clientId: RequestId, reply: PortSink): void {
    const ex = this.exchanges.get(childIdOf(port, clientId));
    if (ex?.reply === reply) ex.reply = undefined;
  }

  private toolCallEnded(ex: Exchange, outcome: ToolCallRecord['outcome']): void {
    if (!ex.tool || !this.o.onToolCall) return;
    this.o.onToolCall({ tool: ex.tool.name, outcome, ms: Date.now() - ex.tool.started });
  }

  /** Cancels an exchange: the child hears notifications/cancelled; the client gets no answer. */
  cancel(childId: string, reason: string): void {
    const ex = this.drop(childId, `cancelled: ${reason}`);
    if (!ex) return;
    this.toolCallEnded(ex, 'cancelled');
    this.child.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: childId, reason },
    });
  }

  private timeOut(childId: string): void {
    const ex = this.exchanges.get(childId);
    if (!ex) return;
    const reason = `no answer within ${this.o.requestTimeoutMs} ms`;
    this.child.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: childId, reason },
    });
    this.fail(
      childId,
      JsonRpcCode.RequestTimeout,
      `The MCP server did not answer ${ex.method} within ${this.o.requestTimeoutMs} ms.`,
    );
  }

  /** Forgets an exchange (its span ends, an error when `error` says why). */
  drop(childId: string, error?: string): Exchange | undefined {
    const ex = this.exchanges.get(childId);
    if (!ex) return undefined;
    clearTimeout(ex.timer);
    if (ex.span) endSpan(ex.span, error);
    this.exchanges.delete(childId);
    if (ex.port) ex.port.pending--;
    this.inputs.forget(childId);
    return ex;
  }

  private finish(childId: string, m: JSONRPCMessage): void {
    const ex = this.drop(childId, 'error' in m ? m.error.message : undefined);
    if (!ex) return;
    if (ex.tool) this.toolCallEnded(ex, toolCallOutcome(m));
    const sink = sinkOf(ex);
    if (!sink) return;
    (m as { id: RequestId }).id = ex.clientId; // the child's message is ours alone: no copy
    const gate = this.o.gate;
    if (gate && 'result' in m) (m as { result: unknown }).result = gate.shape(ex.method, m.result);
    const guard = ex.port?.guard;
    if (guard && 'result' in m) (m as { result: unknown }).result = guard.shape(ex.method, m.result);
    sink.deliver(m, ex.clientId);
  }

  private fail(childId: string, code: number, message: string, data: Record<string, unknown> = {}): void {
    const ex = this.exchanges.get(childId);
    if (ex)
      this.finish(childId, { jsonrpc: '2.0', id: childId, error: { code, message, data } } as JSONRPCMessage);
  }

  /** What the child sends: answers, server requests, notifications. */
  onMessage(m: JSONRPCMessage): void {
    if (('result' in m || 'error' in m) && 'id' in m) {
      this.finish(String(m.id), m);
      return;
    }
    if ('method' in m && 'id' in m) {
      this.routeServerRequest(m as Request);
      return;
    }
    if ('method' in m) checkThenRoute(this, m as JSONRPCMessage & { method: string }, this.o.gate);
  }

  /** The most recent exchange in flight that `filter` accepts. */
  newest(filter: (e: Exchange) => boolean): Exchange | undefined {
    let found: Exchange | undefined;
    for (const e of this.exchanges.values()) if (e.port && filter(e)) found = e;
    return found;
  }

  /**
   * A server request (sampling, elicitation, roots) goes to the newest exchange whose client can carry
   * it, else to the most recently active port that carries server requests; when none can, the child
   * gets a clear error instead of silence.
   */
  private routeServerRequest(m: Request): void {
    const ex = this.newest((e) => {
      const sink = sinkOf(e);
      return !!sink && (sink.carriesServerRequests || !!sink.acceptsInputRequest?.(m.method, e.clientId));
    });
    const exSink = ex && sinkOf(ex);
    if (ex?.port && exSink && !exSink.carriesServerRequests) {
      this.inputs.ask(ex, m);
      return;
    }
    let port = ex?.port;
    if (!port)
      for (const p of this.ports)
        if (p.sink.carriesServerRequests && (!port || p.lastActivity > port.lastActivity)) port = p;
    if (!port) {
      this.child.send({
        jsonrpc: '2.0',
        id: m.id,
        error: {
          code: JsonRpcCode.MethodNotFound,
          message: `${m.method} cannot reach the client: its protocol era or transport does not carry server requests, and it did not declare the capability for an input request.`,
        },
      } as JSONRPCMessage);
      return;
    }
    this.serverRequests.set(m.id, port);
    port.asked.add(m.id);
    (ex?.port === port && exSink ? exSink : port.sink).deliver(m, ex?.clientId);
  }

  resume(requestState: string, port: Port, request: Request, reply?: PortSink): boolean {
    return this.inputs.resume(requestState, port, request, reply);
  }

  closePort(port: Port): void {
    this.ports.delete(port);
    if (port.pending === 0 && port.asked.size === 0 && port.subscriptions.size === 0) return;
    const open: string[] = [];
    if (port.pending > 0)
      for (const ex of this.exchanges.values()) if (ex.port === port) open.push(ex.childId);
    // The child stops working on them; a client still waiting (a POST of an ended session) gets an answer.
    for (const childId of open) {
      this.child.send({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: childId, reason: 'the client went away' },
      });
      this.fail(childId, JsonRpcCode.ServerUnavailable, 'The session ended before the MCP server answered.');
    }
    for (const id of port.asked) {
      this.serverRequests.delete(id);
      this.child.send({
        jsonrpc: '2.0',
        id,
        error: { code: JsonRpcCode.InternalError, message: 'The client that was asked has gone away.' },
      } as JSONRPCMessage);
    }
    for (const uri of [...port.subscriptions])
      if (this.subscriptions.remove(port, uri)) this.own('resources/unsubscribe', { uri });
  }

  /** Sends a request of the relay's own (answers are not relayed). */
  own(method: string, params: Record<string, unknown>): void {
    this.child
      .request(method, params, this.o.requestTimeoutMs)
      .catch((err: unknown) =>
        this.o.logger?.debug(
          { processId: this.child.id, method, err: (err as Error).message },
          'relay request failed',
        ),
      );
  }

  onCrash(reason: string, stderrTail: string[]): void {
    this.serverRequests.clear();
    for (const p of this.ports) p.asked.clear();
    for (const childId of [...this.exchanges.keys()])
      this.fail(
        childId,
        JsonRpcCode.ServerUnavailable,
        `The MCP server crashed (${reason}); the gateway restarts it.`,
        {
          stderrTail,
        },
      );
  }

  /** The child was restarted (and initialized with the same profile): it hears subscriptions and log level again. */
  onRestarted(): void {
    for (const uri of this.subscriptions.uris()) this.own('resources/subscribe', { uri });
    const most = mostVerboseLevel(this.ports);
    if (most !== undefined) this.own('logging/setLevel', { level: LOG_LEVELS[most] });
  }

  /** Detaches from the child: every port's requests fail (the child is gone), with `data` when given. */
  detach(reason: string, data?: Record<string, unknown>): void {
    for (const childId of [...this.exchanges.keys()])
      this.fail(childId, JsonRpcCode.ServerUnavailable, reason, data);
    this.child.attach(null);
  }
}
