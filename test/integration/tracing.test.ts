/**
 * OpenTelemetry: with OTEL_EXPORTER_OTLP_ENDPOINT set, the gateway sends its spans over OTLP/HTTP to a
 * receiver this test runs, which decodes them as the protocol documents its JSON encoding
 * (ExportTraceServiceRequest: resourceSpans → scopeSpans → spans, hex trace and span ids). The trace
 * context comes from a request's `_meta` (SEP-414) or its `traceparent` header, and the round trip to
 * the child hangs under the request's span.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { INIT_2025, MCP_HEADERS, modernToolCall } from '../support/mcp-raw.js';
import { eventually } from '../support/pids.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: { stringValue?: string } }>;
  status?: { code?: number };
}

/** Spans the receiver got, from every export request. */
const spans: OtlpSpan[] = [];
let serviceNames: string[] = [];
let receiver: Server;
let t: TestGateway;
let base: string;

const attr = (s: OtlpSpan, key: string) => s.attributes?.find((a) => a.key === key)?.value.stringValue;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces' && String(req.headers['content-type']).includes('json')) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: Array<{
            resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
            scopeSpans: Array<{ spans: OtlpSpan[] }>;
          }>;
        };
        for (const rs of body.resourceSpans) {
          const name = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
          if (name) serviceNames = [...new Set([...serviceNames, name])];
          for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const { port } = receiver.address() as AddressInfo;
  // The standard OpenTelemetry variable, as an operator sets it; the exporter reads it at start-up.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
  try {
    t = await startTestGateway();
  } finally {
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  }
  base = await t.serve();
}, 120_000);

afterAll(async () => {
  await t?.close();
  await new Promise((r) => receiver?.close(r));
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A tools/call POSTed in a 2025 session, with `traceparent` in its `_meta`. */
const callInSession = (url: string, session: string, id: number, name: string, traceparent: string) =>
  fetch(url, {
    method: 'POST',
    headers: { ...MCP_HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name, arguments: { text: 'traced' }, _meta: { traceparent } },
    }),
  });

describe('traces over OTLP/HTTP', () => {
  it('continues the trace of a tools/call whose _meta carries a traceparent, and hands it to the child', async () => {
    const url = `${base}/package/fixture-echo-mcp/mcp`;
    const init = await fetch(url, { method: 'POST', headers: MCP_HEADERS, body: INIT_2025 });
    expect(init.status).toBe(200);
    const session = init.headers.get('mcp-session-id') as string;
    const traceId = hex(16);
    const clientSpan = hex(8);
    const res = await callInSession(url, session, 7, 'echo', `00-${traceId}-${clientSpan}-01`);
    expect(await res.text()).toContain('traced');
    expect(await eventually(() => spans.some((s) => s.traceId === traceId), 30_000)).toBe(true);
    const server = spans.find((s) => s.traceId === traceId && s.kind === 2) as OtlpSpan;
    expect(server.name).toBe('tools/call echo');
    expect(server.parentSpanId).toBe(clientSpan);
    expect(attr(server, 'mcp.method.name')).toBe('tools/call');
    expect(attr(server, 'jsonrpc.request.id')).toBe('7');
    expect(attr(server, 'gen_ai.tool.name')).toBe('echo');
    expect(attr(server, 'mcp.process.id')).toMatch(/fixture-echo-mcp/);
    expect(serviceNames).toContain('mcp-registry-server');
    // The child got the span's context in _meta (the fixture's `meta` tool shows what it received).
    const meta = await callInSession(url, session, 8, 'echo_meta', `00-${traceId}-${clientSpan}-01`);
    const text = await meta.text();
    expect(await eventually(() => spans.filter((s) => s.traceId === traceId).length >= 2, 30_000)).toBe(true);
    const second = spans.find(
      (s) => s.traceId === traceId && attr(s, 'jsonrpc.request.id') === '8',
    ) as OtlpSpan;
    expect(text).toContain(`00-${traceId}-${second.spanId}-01`);
  });

  it('takes the trace context of a stateless request from its traceparent header, and spans the launch', async () => {
    const traceId = hex(16);
    const callerSpan = hex(8);
    const res = await fetch(
      `${base}/package/fixture-echo-mcp/mcp?traced=1`,
      modernToolCall('echo', { text: 'stateless' }, { traceparent: `00-${traceId}-${callerSpan}-01` }),
    );
    expect(await res.text()).toContain('stateless');
    const mine = () => spans.filter((s) => s.traceId === traceId);
    expect(await eventually(() => mine().length >= 2, 30_000)).toBe(true);
    const server = mine().find((s) => s.kind === 2) as OtlpSpan;
    expect(server.parentSpanId).toBe(callerSpan);
    // A new configuration (the query makes it one): its launch is a span of the same trace.
    const launch = mine().find((s) => s.name === 'package.launch') as OtlpSpan;
    expect(launch.parentSpanId).toBe(callerSpan);
    expect(attr(launch, 'mcp.package.spec')).toBe('fixture-echo-mcp');
  });
});
