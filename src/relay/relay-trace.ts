/**
 * @module Tracing of a round trip to a child (tracing on). When the client request already has a span
 * of the front's (a POST answered on its own), that span covers the round trip: it gets the child's
 * process id, and its context goes to the child, in the `_meta` of what it receives (SEP-414), so the
 * server's own spans join the trace; one span per call keeps tracing cheap. Otherwise (messages that
 * come through a session's stream) the round trip gets a CLIENT span of its own, named like the
 * OpenTelemetry MCP conventions (`{method} {tool}`), under the W3C context of the request's `_meta`.
 */
import { carrierOfMeta, type Span, SpanKind, type Tracing } from '../observability/tracing.js';
import type { PortSink } from './relay-port.js';

type Params = Record<string, unknown> | undefined;

/**
 * The round trip's own span, if it needs one, and the params to send: with the traceparent of the span
 * that covers the round trip in their `_meta`.
 */
export function childSpan(
  tracing: Tracing,
  processId: string,
  method: string,
  tool: string | undefined,
  params: Params,
  sink: PortSink,
): { span: Span | undefined; params: Params } {
  let span: Span | undefined;
  let covering = sink.span;
  if (covering) covering.setAttribute('mcp.process.id', processId);
  else {
    const attributes: Record<string, string> = { 'mcp.method.name': method, 'mcp.process.id': processId };
    if (tool) attributes['gen_ai.tool.name'] = tool;
    span = tracing.start(
      tool ? `${method} ${tool}` : method,
      SpanKind.CLIENT,
      attributes,
      carrierOfMeta(params),
    );
    covering = span;
  }
  if (!covering) return { span, params };
  const meta = {
    ...((params?._meta as Record<string, unknown> | undefined) ?? {}),
    ...tracing.carrier(covering),
  };
  return { span, params: { ...params, _meta: meta } };
}
