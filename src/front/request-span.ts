/**
 * @module The span of a client's MCP request (tracing on): a SERVER span named like the OpenTelemetry MCP
 * conventions (`{method} {tool}`), under the W3C context in the request's `_meta` (SEP-414) or else in
 * its HTTP headers. It ends with the answer (post-reply.ts); the round trip to the child hangs under it.
 */
import {
  carrierOfHeaders,
  carrierOfMeta,
  type Span,
  SpanKind,
  type Tracing,
} from '../observability/tracing.js';
import type { HttpCall } from './http-call.js';

export function requestSpan(
  tracing: Tracing | undefined,
  call: HttpCall,
  m: { id?: string | number; method: string; params?: Record<string, unknown> },
): Span | undefined {
  if (!tracing?.enabled) return undefined;
  const tool = m.method === 'tools/call' && typeof m.params?.name === 'string' ? m.params.name : undefined;
  const attributes: Record<string, string> = {
    'mcp.method.name': m.method,
    'http.request.method': call.method,
    'url.path': call.path,
  };
  if (m.id !== undefined) attributes['jsonrpc.request.id'] = String(m.id);
  if (tool) attributes['gen_ai.tool.name'] = tool;
  return tracing.start(
    tool ? `${m.method} ${tool}` : m.method,
    SpanKind.SERVER,
    attributes,
    carrierOfMeta(m.params) ?? carrierOfHeaders((name) => call.header(name)),
  );
}
