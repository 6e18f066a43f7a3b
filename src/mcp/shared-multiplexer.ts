/**
 * @module Multiplexes many clients over one shared, gateway-initialized child: every relayed request gets
 * an id and progress token of the multiplexer's own, so clients never collide and answers, progress and
 * cancellations find their way back (spec basic/utilities/progress, cancellation). Change notifications
 * (list_changed, resources/updated) go to every listener. A server request reaches the newest exchange
 * whose client can carry it; when none can, the server gets a clear JSON-RPC error instead of silence.
 */
import { randomBytes } from 'node:crypto';
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
  /**
   * 2026-07-28 clients: whether the client can answer `method` through an InputRequiredResult (it declared
   * the capability and the request supports MRTR).
   */
  acceptsInputRequest?(method: string): boolean;
}

/** A child request waiting for a modern client to retry with the answer to the child's server request. */
interface Parked {
  childId: string;
  serverRequestId: RequestId;
  key: string;
  expires: number;
}

/** How long a modern client has to retry after an InputRequiredResult, ms. */
const PARKED_TTL_MS = 5 * 60_000;
/** Receives what a parked exchange would send until the client retries. */
const PARKED_SINK: ExchangeSink = {
  related: () => undefined,
  finish: () => undefined,
  canCarryServerRequests: false,
};

interface Exchange {
  sink: ExchangeSink;
  clientId: RequestId;
  method: string;
  clientToken?: string | number;
  childToken?: string;
  timer: NodeJS.Timeout;
}

/** Change notifications: they belong to no request, so they go to every listener / the session stream. */
export const CHANGE_NOTIFICATIONS = new Set([
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
  'notifications/resources/updated',
]);

export class SharedMultiplexer implements ProcessClient {
  private readonly exchanges = new Map<string, Exchange>();
  private readonly byToken = new Map<string, string>();
  private readonly listeners = new Set<(m: JSONRPCMessage) => void>();
  private readonly parked = new Map<string, Parked>();
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
    for (const [token, p] of this.parked) if (p.childId === childId) this.parked.delete(token);
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
    if (CHANGE_NOTIFICATIONS.has(m.method)) {
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
    return this.newestEntry(filter)?.[1];
  }

  private newestEntry(filter: (e: Exchange) => boolean): [string, Exchange] | undefined {
    let found: [string, Exchange] | undefined;
    for (const entry of this.exchanges) if (filter(entry[1])) found = entry;
    return found;
  }

  private routeServerRequest(m: JSONRPCMessage & { id: RequestId; method: string }): void {
    const target = this.newestEntry(
      (e) => e.sink.canCarryServerRequests || !!e.sink.acceptsInputRequest?.(m.method),
    );
    if (!target) {
      this.process.send({
        jsonrpc: '2.0',
        id: m.id,
        error: {
          code: JsonRpcCode.MethodNotFound,
          message: `${m.method} cannot reach the client: its protocol era or transport does not carry server requests, and it did not declare the capability for an input request.`,
        },
      } as JSONRPCMessage);
      return;
    }
    const [childId, ex] = target;
    if (ex.sink.canCarryServerRequests) ex.sink.related(m);
    else this.askForInput(childId, ex, m);
  }

  /**
   * Multi round-trip requests (spec 2026-07-28 basic/patterns/mrtr): the client's exchange ends with an
   * InputRequiredResult; the child's request waits. `requestState` is a random token naming that wait, so
   * a tampered or replayed state can only fail to be found (no authority rides on it).
   */
  private askForInput(
    childId: string,
    ex: Exchange,
    m: JSONRPCMessage & { id: RequestId; method: string },
  ): void {
    const token = randomBytes(18).toString('base64url');
    const key = 'input-1';
    this.parked.set(token, { childId, serverRequestId: m.id, key, expires: Date.now() + PARKED_TTL_MS });
    const sink = ex.sink;
    ex.sink = PARKED_SINK;
    const params = 'params' in m ? m.params : undefined;
    sink.finish({
      jsonrpc: '2.0',
      id: ex.clientId,
      result: {
        resultType: 'input_required',
        inputRequests: { [key]: { method: m.method, ...(params ? { params } : {}) } },
        requestState: token,
      },
    } as JSONRPCMessage);
  }

  /**
   * A modern client's retry after an InputRequiredResult: the child gets the client's answer and the
   * parked request's result goes to the new exchange. False when the state is unknown or expired.
   */
  resume(
    requestState: string,
    request: { id: RequestId; params?: Record<string, unknown> },
    sink: ExchangeSink,
  ): boolean {
    const p = this.parked.get(requestState);
    this.parked.delete(requestState);
    const ex = p && p.expires > Date.now() ? this.exchanges.get(p.childId) : undefined;
    if (!p || !ex) return false;
    ex.sink = sink;
    ex.clientId = request.id;
    const answer = (request.params?.inputResponses as Record<string, unknown> | undefined)?.[p.key];
    this.process.send(
      (answer === undefined
        ? {
            jsonrpc: '2.0',
            id: p.serverRequestId,
            error: {
              code: JsonRpcCode.InvalidParams,
              message: 'The client retried without answering the input request.',
            },
          }
        : { jsonrpc: '2.0', id: p.serverRequestId, result: answer }) as JSONRPCMessage,
    );
    return true;
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
