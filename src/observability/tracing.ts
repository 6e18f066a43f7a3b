/**
 * @module Traces (OpenTelemetry). On only when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set: spans are batched and sent over OTLP/HTTP by the
 * OpenTelemetry exporter, which reads the standard OTEL_* variables (headers, timeout). Off, `start`
 * returns undefined at once and nothing else runs: the hot path pays one branch.
 *
 * Trace context comes from a request's `_meta` (`traceparent`, `tracestate`: SEP-414, W3C Trace Context)
 * or else from its HTTP headers, and goes on to the child in the `_meta` of what the gateway relays, so
 * the server's own spans join the same trace.
 */
import {
  type Attributes,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export type { Span };

/** W3C Trace Context as HTTP headers or `_meta` carry it. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

/** Where a span hangs: a span of ours, or a context carried in from the client. */
export type SpanParent = Span | TraceCarrier | undefined;

const propagator = new W3CTraceContextPropagator();

const isSpan = (p: SpanParent): p is Span => !!p && typeof (p as Span).spanContext === 'function';

export class Tracing {
  private constructor(
    private readonly tracer: Tracer | undefined,
    private readonly provider: BasicTracerProvider | undefined,
  ) {}

  /** Tracing off: every span is undefined. */
  static off(): Tracing {
    return new Tracing(undefined, undefined);
  }

  /** On when the environment names an OTLP endpoint; `version`: the gateway's, for the resource. */
  static fromEnv(env: NodeJS.ProcessEnv, version: string): Tracing {
    if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return Tracing.off();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': env.OTEL_SERVICE_NAME || 'mcp-registry-server',
        'service.version': version,
      }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
    });
    return new Tracing(provider.getTracer('mcp-registry-server', version), provider);
  }

  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /** Starts a span under `parent` (ours, or a client's W3C context); undefined when tracing is off. */
  start(name: string, kind: SpanKind, attributes: Attributes, parent?: SpanParent): Span | undefined {
    if (!this.tracer) return undefined;
    let ctx = ROOT_CONTEXT;
    if (isSpan(parent)) ctx = trace.setSpan(ROOT_CONTEXT, parent);
    else if (parent?.traceparent) ctx = propagator.extract(ROOT_CONTEXT, parent, defaultTextMapGetter);
    return this.tracer.startSpan(name, { kind, attributes }, ctx);
  }

  /** The W3C keys that make `span` the parent of what the receiver does. */
  carrier(span: Span): TraceCarrier {
    const out: TraceCarrier = {};
    propagator.inject(trace.setSpan(context.active(), span), out, defaultTextMapSetter);
    return out;
  }

  /** Flushes what is batched and stops (shutdown). */
  async shutdown(): Promise<void> {
    await this.provider?.shutdown().catch(() => undefined);
  }
}

/** Ends a span, marking it an error when `error` says why. */
export function endSpan(span: Span | undefined, error?: string): void {
  if (!span) return;
  if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  span.end();
}

/** The W3C context in a message's `_meta` (SEP-414), if any. */
export function carrierOfMeta(params: unknown): TraceCarrier | undefined {
  const meta = (params as { _meta?: Record<string, unknown> } | undefined)?._meta;
  const traceparent = meta?.traceparent;
  if (typeof traceparent !== 'string') return undefined;
  const tracestate = meta?.tracestate;
  return typeof tracestate === 'string' ? { traceparent, tracestate } : { traceparent };
}

/** The W3C context in HTTP headers (`traceparent`, `tracestate`), if any. */
export function carrierOfHeaders(header: (name: string) => string | undefined): TraceCarrier | undefined {
  const traceparent = header('traceparent');
  if (!traceparent) return undefined;
  const tracestate = header('tracestate');
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

export { SpanKind };
