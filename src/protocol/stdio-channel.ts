/**
 * @module A JSON-RPC channel over a child's stdin/stdout using the MCP stdio framing (one JSON message per
 * line, spec: basic/transports#stdio). Lines are split here (chunks are kept until a newline arrives, so
 * large messages are not copied over and over), parsed, and checked by the message guard (the SDK
 * schema's rules). Lines that are not JSON-RPC are reported and skipped rather than killing the channel.
 */
import type { Readable, Writable } from 'node:stream';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { isJsonRpcMessage } from './message-guard.js';
import { JsonRpcCode, RpcRequestError } from './rpc-errors.js';

export interface StdioChannelOptions {
  /** Largest message accepted from the child, bytes (default 64 MiB). */
  maxMessageBytes?: number;
  /** Every message that is not the answer to one of our own requests. */
  onMessage?: (message: JSONRPCMessage) => void;
  /** A line on stdout that is not JSON-RPC (a misbehaving server printing logs to stdout). */
  onJunk?: (line: string) => void;
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (err: RpcRequestError) => void;
  timer: NodeJS.Timeout;
}

/** Prefix of ids the gateway itself uses, so they never collide with ids relayed for clients. */
export const GATEWAY_ID_PREFIX = 'gw-';

export class StdioChannel {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly maxMessageBytes: number;
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly stdin: Writable,
    stdout: Readable,
    private readonly o: StdioChannelOptions = {},
  ) {
    this.maxMessageBytes = o.maxMessageBytes ?? 64 * 1024 * 1024;
    stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    stdin.on('error', () => this.close('stdin closed'));
  }

  private onData(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      const line = this.chunks.length === 0 ? piece : Buffer.concat([...this.chunks, piece]);
      this.chunks = [];
      this.buffered = 0;
      start = nl + 1;
      this.parseLine(line.toString('utf8').replace(/\r$/, ''));
    }
    if (start < chunk.length) {
      this.buffered += chunk.length - start;
      if (this.buffered > this.maxMessageBytes) {
        this.chunks = [];
        this.buffered = 0;
        this.o.onJunk?.(`(message larger than ${this.maxMessageBytes} bytes; dropped)`);
        return;
      }
      this.chunks.push(chunk.subarray(start));
    }
  }

  private parseLine(line: string): void {
    if (line.trim() === '') return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      message = undefined;
    }
    if (!isJsonRpcMessage(message)) {
      this.o.onJunk?.(line.slice(0, 200));
      return;
    }
    this.dispatch(message);
  }

  private dispatch(message: JSONRPCMessage): void {
    const id = 'id' in message ? message.id : undefined;
    const isResponse = 'result' in message || 'error' in message;
    if (isResponse && typeof id === 'string' && id.startsWith(GATEWAY_ID_PREFIX)) {
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      clearTimeout(p.timer);
      if ('error' in message)
        p.reject(
          new RpcRequestError('remote', message.error.message, message.error.code, message.error.data),
        );
      else p.resolve((message as { result: unknown }).result);
      return;
    }
    this.o.onMessage?.(message);
  }

  /** Sends one message (no answer expected). Returns false once the channel is closed. */
  send(message: JSONRPCMessage): boolean {
    if (this.closed) return false;
    this.stdin.write(`${JSON.stringify(message)}\n`);
    return true;
  }

  /** Sends a notification. */
  notify(method: string, params?: Record<string, unknown>): boolean {
    return this.send({ jsonrpc: '2.0', method, ...(params ? { params } : {}) } as JSONRPCMessage);
  }

  /** Sends a request of the gateway's own and resolves with its result; rejects with RpcRequestError. */
  request(method: string, params: Record<string, unknown> | undefined, timeoutMs: number): Promise<unknown> {
    if (this.closed)
      return Promise.reject(
        new RpcRequestError('closed', 'The MCP server is not running.', JsonRpcCode.ServerUnavailable),
      );
    const id = `${GATEWAY_ID_PREFIX}${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new RpcRequestError(
            'timeout',
            `No answer to ${method} within ${timeoutMs} ms.`,
            JsonRpcCode.RequestTimeout,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) } as JSONRPCMessage);
    });
  }

  /** Fails every pending request and refuses new ones. */
  close(reason = 'The MCP server exited.'): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RpcRequestError('closed', reason, JsonRpcCode.ServerUnavailable));
      this.pending.delete(id);
    }
    this.chunks = [];
  }

  /** The gateway's own requests awaiting an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
