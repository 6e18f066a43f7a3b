/**
 * @module Multiplexes many clients over one shared, gateway-initialized child: every relayed request gets
 * an id and progress token of the multiplexer's own, so clients never collide and answers, progress and
 * cancellations find their way back (spec basic/utilities/progress, cancellation). Change notifications
 * (list_changed, resources/updated) go to every listener. A server request reaches the newest exchange
 * whose client can carry it; when none can, the server gets a clear JSON-RPC error instead of silence.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { ManagedProcess, ProcessClient } from '../runtime/managed-process.js';
import { JsonRpcCode } from './rpc-errors.js';

type RequestId = string | number;

/** One client exchange (a request) relayed to the shared child. */
export interface ExchangeSink {
  /** A notification related to the request (progress with the client's token restored, log messages). */
  related(m: JSONRPCMessage): void;
  /** The final answer, with the client's id restored. */
  finish(m: JSONRPCMessage): void;
  /** Whether this client can receive server-to-client requests (sampling, elicitation, roots). */
  canCarryServerRequests: boolean;
}

interface Exchange {
  sink: ExchangeSink;
  clientId: RequestId;
  method: string;
  clientToken?: string | number;
  childToken?: string;
  timer: NodeJS.Timeout;
}

const BROADCAST = new Set([
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
  'notifications/resources/updated',
]);

export class SharedMultiplexer implements ProcessClient {
  private readonly exchanges = new Map<string, Exchange>();
  private readonly byToken = new Map<string, string>();
  private readonly listeners = new Set<(m: JSONRPCMessage) => void>();
  private next = 1;

  constructor(
    readonly process: ManagedProcess,
    private readonly requestTimeoutMs: number,
  ) {
    process.attach(this);
  }

  /** Relays a client request; returns the child-side id (for cancellation). */
  send(
    request: { id: RequestId; method: string; params?: Record<string, unknown> },
    sink: ExchangeSink,
  ): string {
    const childId = `x-${this.next++}`;
    const params = { ...(request.params ?? {}) };
    const meta = { ...((params._meta as Record<string, unknown> | undefined) ?? {}) };
    const clientToken = meta.progressToken as string | number | undefined;
    let childToken: string | undefined;
    if (clientToken !== undefined) {
      childToken = `p-${this.next++}`;
      meta.progressToken = childToken;
      this.byToken.set(childToken, childId);
    }
    // Modern per-request metadata means nothing to a legacy child; everything else passes through.
    for (const k of Object.keys(meta)) if (k.startsWith('io.modelcontextprotocol/')) delete meta[k];
    if (Object.keys(meta).length > 0) params._meta = meta;
    else delete params._meta;
    const timer = setTimeout(
      () => this.cancel(childId, `no answer within ${this.requestTimeoutMs} ms`, true),
      this.requestTimeoutMs,
    );
    timer.unref();
    this.exchanges.set(childId, {
      sink,
      clientId: request.id,
      method: request.method,
      clientToken,
      childToken,
      timer,
    });
    if (
      !this.process.send({ jsonrpc: '2.0', id: childId, method: request.method, params } as JSONRPCMessage)
    ) {
      this.fail(childId, JsonRpcCode.ServerUnavailable, 'The MCP server is not running.', []);
    }
    return childId;
  }

  /** Cancels an exchange (client gone or timed out): the child hears notifications/cancelled. */
  cancel(childId: string, reason: string, answerClient = false): void {
    const ex = this.exchanges.get(childId);
    if (!ex) return;
    this.process.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: childId, reason },
    });
    if (answerClient)
      this.fail(
        childId,
        JsonRpcCode.RequestTimeout,
        `The MCP server did not answer ${ex.method}: ${reason}.`,
        [],
      );
    else this.drop(childId);
  }

  /** Sends a client's answer to a server request back to the child. */
  answerServerRequest(m: JSONRPCMessage): void {
    this.process.send(m);
  }

  /** Receives change notifications until the returned function is called. */
  listen(listener: (m: JSONRPCMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends a request of the multiplexer's own (resources/subscribe for listeners). */
  requestOwn(method: string, params: Record<string, unknown>): Promise<unknown> {
    return this.process.request(method, params, this.requestTimeoutMs);
  }

  get inFlight(): number {
    return this.exchanges.size;
  }

  private drop(childId: string): Exchange | undefined {
    const ex = this.exchanges.get(childId);
    if (!ex) return undefined;
    clearTimeout(ex.timer);
    this.exchanges.delete(childId);
    if (ex.childToken) this.byToken.delete(ex.childToken);
    return ex;
  }

  private fail(childId: string, code: number, message: string, stderrTail: string[]): void {
    const ex = this.drop(childId);
    ex?.sink.finish({
      jsonrpc: '2.0',
      id: ex.clientId,
      error: { code, message, data: { stderrTail } },
    } as JSONRPCMessage);
  }

  onMessage(m: JSONRPCMessage): void {
    if (('result' in m || 'error' in m) && 'id' in m) {
      const ex = this.drop(String(m.id));
      ex?.sink.finish({ ...m, id: ex.clientId } as JSONRPCMessage);
      return;
    }
    if ('method' in m && 'id' in m) {
      this.routeServerRequest(m as JSONRPCMessage & { id: RequestId; method: string });
      return;
    }
    if (!('method' in m)) return;
    if (BROADCAST.has(m.method)) {
      for (const l of this.listeners) l(m);
      return;
    }
    const params = (m.params ?? {}) as { progressToken?: string };
    if (params.progressToken !== undefined) {
      const ex = this.exchanges.get(this.byToken.get(String(params.progressToken)) ?? '');
      ex?.sink.related({ ...m, params: { ...params, progressToken: ex.clientToken } } as JSONRPCMessage);
      return;
    }
    this.newest()?.sink.related(m);
  }

  private newest(filter: (e: Exchange) => boolean = () => true): Exchange | undefined {
    let found: Exchange | undefined;
    for (const e of this.exchanges.values()) if (filter(e)) found = e;
    return found;
  }

  private routeServerRequest(m: JSONRPCMessage & { id: RequestId; method: string }): void {
    const target = this.newest((e) => e.sink.canCarryServerRequests);
    if (!target) {
      this.process.send({
        jsonrpc: '2.0',
        id: m.id,
        error: {
          code: JsonRpcCode.MethodNotFound,
          message: `${m.method} cannot reach the client: its protocol era or transport does not carry server requests (use a 2025-era session).`,
        },
      } as JSONRPCMessage);
      return;
    }
    target.sink.related(m);
  }

  onCrash(reason: string, stderrTail: string[]): void {
    for (const childId of [...this.exchanges.keys()])
      this.fail(
        childId,
        JsonRpcCode.ServerUnavailable,
        `The MCP server crashed (${reason}); the gateway restarts it.`,
        stderrTail,
      );
  }

  onRestarted(): void {
    // The gateway re-initialized the child; listeners re-subscribe on their own stream's terms.
  }
}
