/**
 * @module The one SSE writer: message events (with an id when the stream is resumable), named events (the
 * legacy transport's `endpoint`), comment frames as keep-alives on a timer that is always cleared, and an
 * end. Every event stream the front opens writes through it (spec 2025-11-25 basic/transports, and the
 * HTML Living Standard's server-sent events format).
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { EventSink } from './http-call.js';

export class SseWriter {
  private keepAlive: NodeJS.Timeout | undefined;
  private ended = false;

  /** `keepAliveMs`: a comment frame this often while the stream is open (0: none). */
  constructor(
    private readonly sink: EventSink,
    keepAliveMs: number,
  ) {
    if (keepAliveMs > 0) {
      this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), keepAliveMs);
      this.keepAlive.unref();
    }
  }

  private write(text: string): boolean {
    if (this.ended) return false;
    if (this.sink.write(text)) return true;
    this.end();
    return false;
  }

  /** A `message` event carrying one JSON-RPC message; false once the stream is gone. */
  message(m: JSONRPCMessage | object, id?: string): boolean {
    return this.write(
      `${id === undefined ? '' : `id: ${id}\n`}event: message\ndata: ${JSON.stringify(m)}\n\n`,
    );
  }

  /** A named event with plain data (one line). */
  event(name: string, data: string): boolean {
    return this.write(`event: ${name}\ndata: ${data}\n\n`);
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Ends the stream (once). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepAlive);
    this.sink.end();
  }
}
