/**
 * @module Multi round-trip requests (spec 2026-07-28 basic/patterns/mrtr): when a child asks something of
 * a modern client mid-request, the client's exchange ends with an InputRequiredResult and the child's
 * request waits. `requestState` is a random token naming that wait, so a tampered or replayed state can
 * only fail to be found (no authority rides on it).
 */
import { randomBytes } from 'node:crypto';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { JsonRpcCode } from '../protocol/rpc-errors.js';
import type { Port, PortSink, RequestId } from './relay-port.js';

/** How long a modern client has to retry after an InputRequiredResult, ms. */
const PARKED_TTL_MS = 5 * 60_000;

interface Parked {
  childId: string;
  serverRequestId: RequestId;
  key: string;
  expires: number;
}

/** The relay as the parked exchanges need it. */
interface ParkingRelay {
  readonly exchanges: Map<string, ParkableExchange>;
  readonly child: { send(m: JSONRPCMessage): boolean };
}

interface ParkableExchange {
  childId: string;
  port: Port | undefined;
  reply: PortSink | undefined;
  clientId: RequestId;
}

type ServerRequest = JSONRPCMessage & { id: RequestId; method: string; params?: unknown };

export class InputRequests {
  private readonly parked = new Map<string, Parked>();

  constructor(
    private readonly relay: ParkingRelay,
    /** Begins every token (a cluster's instance id: a retry reaching another instance is sent here). */
    private readonly prefix = '',
  ) {}

  /** Ends the client's exchange with an InputRequiredResult for the child's request `m`. */
  ask(ex: ParkableExchange, m: ServerRequest): void {
    const { childId, port } = ex;
    if (!port) return;
    const token = `${this.prefix}${randomBytes(18).toString('base64url')}`;
    const key = 'input-1';
    this.parked.set(token, { childId, serverRequestId: m.id, key, expires: Date.now() + PARKED_TTL_MS });
    const sink = ex.reply ?? port.sink;
    ex.port = undefined;
    ex.reply = undefined;
    port.pending--;
    const params = 'params' in m ? m.params : undefined;
    sink.deliver(
      {
        jsonrpc: '2.0',
        id: ex.clientId,
        result: {
          resultType: 'input_required',
          inputRequests: { [key]: { method: m.method, ...(params ? { params } : {}) } },
          requestState: token,
        },
      } as JSONRPCMessage,
      ex.clientId,
    );
  }

  /**
   * The retry: the child gets the client's answer; the parked request's result goes to `port` (or
   * `reply`). The exchange keeps its relay id, so the retry's own id finds it only through its port.
   */
  resume(
    requestState: string,
    port: Port,
    request: { id: RequestId; params?: Record<string, unknown> },
    reply?: PortSink,
  ): boolean {
    const p = this.parked.get(requestState);
    this.parked.delete(requestState);
    const ex = p && p.expires > Date.now() ? this.relay.exchanges.get(p.childId) : undefined;
    if (!p || !ex) return false;
    ex.port = port;
    ex.reply = reply;
    ex.clientId = request.id;
    port.pending++;
    const answer = (request.params?.inputResponses as Record<string, unknown> | undefined)?.[p.key];
    this.relay.child.send(
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

  /** Forgets the waits of an exchange that ended. */
  forget(childId: string): void {
    for (const [token, p] of this.parked) if (p.childId === childId) this.parked.delete(token);
  }
}
