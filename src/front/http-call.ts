/**
 * @module What the front needs of one HTTP request, whoever serves it: Node's request and response on the
 * hot path (http/front-door.ts), or Hono's context (http/web-call.ts). The front reads headers and the
 * body once and answers through it; it knows nothing of frameworks.
 */

/** An event stream being written (text/event-stream). */
export interface EventSink {
  /** Writes raw text; false once the client is gone. */
  write(text: string): boolean;
  end(): void;
}

export interface HttpCall {
  readonly method: string;
  /** The URL path, still percent-encoded. */
  readonly path: string;
  /** A request header (lower-case name); the first value when repeated. */
  header(name: string): string | undefined;
  /**
   * The body parsed as JSON, read once, at most `limit` bytes and MAX_JSON_DEPTH levels deep.
   * @throws GatewayError PAYLOAD_TOO_LARGE, MALFORMED_REQUEST
   */
  json(limit: number): Promise<unknown>;
  /** Sends a complete answer. */
  answer(status: number, headers: Record<string, string>, body: string | null): void;
  /** Starts an event stream (status 200). */
  stream(headers: Record<string, string>): EventSink;
  /** Sends a web Response (what the SDK's session transport answers: initialize, GET streams, DELETE). */
  respond(res: Response): void;
  /** The request as a web Request, for the SDK's session transport (never on the hot path). */
  webRequest(): Request;
  /** Runs `cb` once when the client goes away before the answer has ended. */
  onAbort(cb: () => void): void;
}

/** The headers of every JSON answer the front writes. */
export const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** The headers of every event stream (spec basic/transports; `x-accel-buffering` for nginx). */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const;
