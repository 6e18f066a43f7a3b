/**
 * @module The HTTP+SSE transport of protocol 2024-11-05 (spec 2024-11-05 basic/transports "HTTP with
 * SSE"), server side, on web streams: the client opens an event stream and first receives an `endpoint`
 * event naming the URL to POST its messages to; every server message then arrives as a `message` event.
 * The SDK's v2 packages no longer ship this transport, and 1.x's is bound to Node's ServerResponse.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { ClientTransport } from './session-port.js';

const encoder = new TextEncoder();

export class LegacySseTransport implements ClientTransport {
  onmessage?: (message: JSONRPCMessage) => void;
  /** Called once when the stream ends (client disconnect or close()). */
  onclose?: () => void;
  readonly stream: ReadableStream<Uint8Array>;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(endpointUrl: string, keepAliveMs: number) {
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
        controller.enqueue(encoder.encode(`event: endpoint\ndata: ${endpointUrl}\n\n`));
      },
      cancel: () => this.finish(),
    });
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), keepAliveMs);
    this.keepAlive.unref();
  }

  private write(text: string): boolean {
    if (this.closed || !this.controller) return false;
    try {
      this.controller.enqueue(encoder.encode(text));
      return true;
    } catch {
      this.finish();
      return false;
    }
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!this.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`))
      throw new Error('The SSE stream is closed.');
  }

  /** Delivers POSTed messages to the session. */
  receive(messages: JSONRPCMessage[]): void {
    for (const m of messages) this.onmessage?.(m);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.onclose?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      this.controller?.close();
    } catch {
      // already closed by the client
    }
    this.finish();
  }
}
