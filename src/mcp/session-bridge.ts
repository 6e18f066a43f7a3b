/**
 * @module Relays one client session (an SDK server transport) to the MCP server child it owns.
 * Change notifications (list_changed, resources/updated) go to the session stream, not to a request.
 * Client request ids are rewritten to ids of the bridge's own (so they never meet the gateway's ids,
 * and stale answers of a crashed child are dropped); answers are mapped back. Progress and server
 * requests go on the stream of the request they belong to (spec 2025-11-25 basic/transports
 * "Sending Messages to the Server"). A crash fails every in-flight request at once; a request past the
 * request timeout fails and the child gets notifications/cancelled (spec basic/utilities/cancellation).
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { Logger } from '../observability/logger.js';
import type { ManagedProcess, ProcessClient } from '../runtime/managed-process.js';
import { JsonRpcCode } from './rpc-errors.js';
import { CHANGE_NOTIFICATIONS } from './shared-multiplexer.js';

type RequestId = string | number;

/** The client-facing side: what the SDK's server transports provide. */
export interface ClientTransport {
  onmessage?: (message: JSONRPCMessage) => void;
  send(message: JSONRPCMessage, options?: { relatedRequestId?: RequestId }): Promise<void>;
}

interface InFlight {
  clientId: RequestId;
  method: string;
  progressToken?: string | number;
  timer: NodeJS.Timeout;
}

const SESSION_ID_PREFIX = 's-';

export interface SessionBridgeOptions {
  requestTimeoutMs: number;
  logger: Logger;
}

export class SessionBridge implements ProcessClient {
  private readonly inFlight = new Map<string, InFlight>();
  private nextId = 1;
  private initializeParams: Record<string, unknown> | undefined;
  private closed = false;

  constructor(
    private readonly transport: ClientTransport,
    readonly process: ManagedProcess,
    private readonly o: SessionBridgeOptions,
  ) {
    transport.onmessage = (m) => this.fromClient(m);
    process.attach(this);
  }

  /** Messages from the client to the server. */
  private fromClient(m: JSONRPCMessage): void {
    if (this.closed) return;
    if ('method' in m && 'id' in m) {
      const childId = `${SESSION_ID_PREFIX}${this.nextId++}`;
      const params = (m.params ?? {}) as Record<string, unknown>;
      if (m.method === 'initialize') this.initializeParams = params;
      const token = (params._meta as { progressToken?: string | number } | undefined)?.progressToken;
      const timer = setTimeout(() => this.timeOut(childId), this.o.requestTimeoutMs);
      timer.unref();
      this.inFlight.set(childId, { clientId: m.id, method: m.method, progressToken: token, timer });
      if (!this.process.send({ ...m, id: childId } as JSONRPCMessage))
        this.failOne(childId, 'The MCP server is not running.', []);
      return;
    }
    if ('method' in m && m.method === 'notifications/cancelled') {
      const params = (m.params ?? {}) as { requestId?: RequestId; reason?: string };
      const childId = this.childIdOf(params.requestId);
      if (!childId) return;
      this.settle(childId);
      this.process.send({ ...m, params: { ...params, requestId: childId } } as JSONRPCMessage);
      return;
    }
    this.process.send(m);
  }

  private childIdOf(clientId: RequestId | undefined): string | undefined {
    for (const [childId, f] of this.inFlight) if (f.clientId === clientId) return childId;
    return undefined;
  }

  /** The client request a server message belongs to: by progress token, else the newest in flight. */
  private relatedTo(m: JSONRPCMessage): RequestId | undefined {
    if ('method' in m && CHANGE_NOTIFICATIONS.has(m.method)) return undefined; // the session's GET stream
    const token =
      'params' in m ? (m.params as { progressToken?: unknown } | undefined)?.progressToken : undefined;
    let newest: InFlight | undefined;
    for (const f of this.inFlight.values()) {
      if (token !== undefined && f.progressToken === token) return f.clientId;
      newest = f;
    }
    return token === undefined ? newest?.clientId : undefined;
  }

  /** Messages from the server to the client. */
  onMessage(m: JSONRPCMessage): void {
    if (this.closed) return;
    if (('result' in m || 'error' in m) && 'id' in m) {
      const f = this.settle(String(m.id));
      if (!f) return; // an answer to a timed-out or cancelled request, or to the gateway's re-initialize
      void this.deliver({ ...m, id: f.clientId } as JSONRPCMessage, f.clientId);
      return;
    }
    void this.deliver(m, this.relatedTo(m));
  }

  private async deliver(m: JSONRPCMessage, relatedRequestId: RequestId | undefined): Promise<void> {
    try {
      await this.transport.send(m, relatedRequestId === undefined ? undefined : { relatedRequestId });
    } catch (err) {
      this.o.logger.debug(
        { processId: this.process.id, err: (err as Error).message },
        'message for a client that is gone',
      );
    }
  }

  private settle(childId: string): InFlight | undefined {
    const f = this.inFlight.get(childId);
    if (!f) return undefined;
    clearTimeout(f.timer);
    this.inFlight.delete(childId);
    return f;
  }

  private failOne(
    childId: string,
    message: string,
    stderrTail: string[],
    code: number = JsonRpcCode.ServerUnavailable,
  ): void {
    const f = this.settle(childId);
    if (!f) return;
    void this.deliver(
      { jsonrpc: '2.0', id: f.clientId, error: { code, message, data: { stderrTail } } } as JSONRPCMessage,
      f.clientId,
    );
  }

  private timeOut(childId: string): void {
    const f = this.inFlight.get(childId);
    if (!f) return;
    this.process.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: childId, reason: 'request timed out at the gateway' },
    });
    this.failOne(
      childId,
      `The MCP server did not answer ${f.method} within ${this.o.requestTimeoutMs} ms.`,
      [],
      JsonRpcCode.RequestTimeout,
    );
  }

  onCrash(reason: string, stderrTail: string[]): void {
    for (const childId of [...this.inFlight.keys()])
      this.failOne(childId, `The MCP server crashed (${reason}); the gateway restarts it.`, stderrTail);
  }

  /** After a restart, the child hears the client's original initialize again, so the session goes on. */
  onRestarted(): void {
    if (!this.initializeParams || this.closed) return;
    this.process.request('initialize', this.initializeParams, 30_000).then(
      () => this.process.send({ jsonrpc: '2.0', method: 'notifications/initialized' }),
      (err: unknown) =>
        this.o.logger.warn(
          { processId: this.process.id, err: (err as Error).message },
          're-initialize after restart failed',
        ),
    );
  }

  /** Fails what is in flight and detaches from the child. */
  close(): void {
    if (this.closed) return;
    for (const childId of [...this.inFlight.keys()]) this.failOne(childId, 'The session ended.', []);
    this.closed = true;
    this.process.attach(null);
  }
}
