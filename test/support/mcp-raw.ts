/** Raw Streamable HTTP pieces for tests that speak MCP without an SDK client. */
import { request } from 'node:http';

/** A 2025-06-18 initialize request body. */
export const INIT_2025 = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** Headers every Streamable HTTP POST carries. */
export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

/** A POST through node:http, which sends any Host header (fetch will not: a DNS-rebound name, say). */
export function rawPost(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The headers and body of a 2026-07-28 tools/call (spec 2026-07-28 basic/transports/streamable-http
 * "Request Metadata"), for a fetch with `extraHeaders` (a key, a traceparent).
 */
export function modernToolCall(
  name: string,
  args: Record<string, unknown>,
  extraHeaders: Record<string, string> = {},
): { method: 'POST'; headers: Record<string, string>; body: string } {
  return {
    method: 'POST',
    headers: {
      ...MCP_HEADERS,
      ...extraHeaders,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name, arguments: args, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
    }),
  };
}
