/**
 * @module The HTTP+SSE transport of protocol 2024-11-05 (spec 2024-11-05 basic/transports "HTTP with
 * SSE"), server side: the client opens an event stream and first receives an `endpoint` event naming the
 * URL to POST its messages to; every server message then arrives as a `message` event. The SDK's v2
 * packages no longer ship this transport, and 1.x's is bound to Node's ServerResponse.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { type HttpCall, SSE_HEADERS } from './http-call.js';
import type { ClientTransport } from './session-port.js';
import { SseWriter } from './sse-writer.js';

export class LegacySseTransport implements ClientTransport {
  onmessage?: (message: JSONRPCMessage) => void;
  /** Called once when the stream ends (client disconnect or close()). */
  onclose?: () => void;
  private sse: SseWriter | undefined;
  private closed = false;

  constructor(
    private readonly endpointUrl: string,
    private readonly keepAliveMs: number,
  ) {}

  /** Opens the event stream on the client's GET and names the endpoint. */
  open(call: HttpCall): void {
    this.sse = new SseWriter(call.stream(SSE_HEADERS), this.keepAliveMs);
    this.sse.event('endpoint', this.endpointUrl);
    call.onAbort(() => this.finish());
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed || !this.sse?.message(message)) throw new Error('The SSE stream is closed.');
  }

  /** Delivers POSTed messages to the session. */
  receive(messages: JSONRPCMessage[]): void {
    for (const m of messages) this.onmessage?.(m);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.sse?.end();
    this.onclose?.();
  }

  async close(): Promise<void> {
    this.finish();
  }
}
