/**
 * @module The answer of one POST: JSON, unless something must reach the client before the result
 * (progress, a log message, a server request), then an event stream that ends with the result (spec
 * 2025-11-25 basic/transports "Sending Messages to the Server": the server MAY answer either). A batch
 * (2025-03-26) is answered once every request in it is: a JSON array, or events.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { endSpan, type Span } from '../observability/tracing.js';
import type { PortSink, RequestId } from '../relay/relay-port.js';
import { type HttpCall, JSON_HEADERS, SSE_HEADERS } from './http-call.js';
import { SseWriter } from './sse-writer.js';

export interface PostReplyOptions {
  /** Headers of the answer besides its content type (Mcp-Session-Id). */
  headers: Record<string, string>;
  keepAliveMs: number;
  /** Whether server requests may be sent on this answer's stream (2025 sessions: yes). */
  carriesServerRequests: boolean;
  /** 2026-07-28: whether the request may end with an input request for `method` (MRTR). */
  acceptsInputRequest?: (method: string, related: RequestId) => boolean;
  /** Shapes each final answer (2026-07-28 results). */
  shape?: (m: JSONRPCMessage) => JSONRPCMessage;
  /** Called once when the answer has ended, or the client went away first. */
  onEnd?: () => void;
  /** The request's span (tracing on); it ends with the answer. */
  span?: Span | undefined;
}

const isAnswer = (m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId } =>
  ('result' in m || 'error' in m) && 'id' in m;

export class PostReply implements PortSink {
  readonly carriesServerRequests: boolean;
  readonly acceptsInputRequest?: (method: string, related: RequestId) => boolean;
  readonly span: Span | undefined;
  private error: string | undefined;
  private readonly waiting: Set<RequestId>;
  private readonly answers: JSONRPCMessage[] = [];
  private sse: SseWriter | undefined;
  private ended = false;

  /** `ids`: the requests this POST carried; `batch`: they came as an array. */
  constructor(
    private readonly call: HttpCall,
    ids: RequestId[],
    private readonly batch: boolean,
    private readonly o: PostReplyOptions,
  ) {
    this.waiting = new Set(ids);
    this.carriesServerRequests = o.carriesServerRequests;
    this.span = o.span;
    if (o.acceptsInputRequest) this.acceptsInputRequest = o.acceptsInputRequest;
    call.onAbort(() => this.finish());
  }

  /** True once the answer has ended or its client went away. */
  get isEnded(): boolean {
    return this.ended;
  }

  deliver(m: JSONRPCMessage): void {
    if (this.ended) return;
    if (!isAnswer(m) || !this.waiting.delete(m.id)) {
      this.sse ??= new SseWriter(this.call.stream({ ...SSE_HEADERS, ...this.o.headers }), this.o.keepAliveMs);
      if (!this.sse.message(m)) this.finish();
      return;
    }
    if ('error' in m) this.error = m.error.message;
    const answer = this.o.shape ? this.o.shape(m) : m;
    if (this.sse) this.sse.message(answer);
    else this.answers.push(answer);
    if (this.waiting.size > 0) return;
    if (this.sse) this.sse.end();
    else
      this.call.answer(
        200,
        { ...JSON_HEADERS, ...this.o.headers },
        JSON.stringify(this.batch ? this.answers : this.answers[0]),
      );
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.sse?.end();
    if (this.span) endSpan(this.span, this.waiting.size > 0 ? 'the client went away' : this.error);
    this.o.onEnd?.();
  }
}
