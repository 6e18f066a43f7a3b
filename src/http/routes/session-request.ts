/**
 * @module A request in a 2025-era Streamable HTTP session. A single POSTed request is one exchange of the
 * SDK's per-request transport, which answers `application/json` unless something must be streamed before
 * the result (spec 2025-11-25 basic/transports: the server MAY answer JSON or open an SSE stream). GET,
 * DELETE, notifications, client answers and batches go to the session's SDK transport.
 */

import type { JSONRPCMessage, JSONRPCRequest } from '@modelcontextprotocol/server';
import { PerRequestHTTPServerTransport } from '@modelcontextprotocol/server';
import type { Context } from 'hono';
import type { McpSession } from '../../mcp/mcp-sessions.js';
import { LEGACY_VERSIONS } from '../../mcp/modern-request.js';
import { readJsonBody } from '../json-body.js';

type RequestMessage = JSONRPCMessage & { id: string | number; method: string };

function isSingleRequest(body: unknown): body is RequestMessage {
  return !!body && typeof body === 'object' && !Array.isArray(body) && 'method' in body && 'id' in body;
}

const rpcError = (status: 400 | 406 | 415, message: string) =>
  Response.json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }, { status });

/** The transport rules the session transport would apply to a POST (Accept 406, Content-Type 415, version 400). */
function checkPost(c: Context): Response | null {
  const accept = c.req.header('accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
    return rpcError(406, 'Not Acceptable: Client must accept both application/json and text/event-stream');
  }
  if (!(c.req.header('content-type') ?? '').includes('application/json'))
    return rpcError(415, 'Unsupported Media Type: Content-Type must be application/json');
  const version = c.req.header('mcp-protocol-version');
  if (version && !LEGACY_VERSIONS.includes(version)) {
    return rpcError(
      400,
      `Bad Request: Unsupported protocol version (supported versions: ${LEGACY_VERSIONS.join(', ')})`,
    );
  }
  return null;
}

/** Serves one HTTP request of a Streamable HTTP session. */
export async function serveSessionRequest(
  c: Context,
  session: McpSession,
  maxBodyBytes: number,
  keepAliveMs: number,
): Promise<Response> {
  if (session.channel.kind !== 'streamable') throw new Error('not a Streamable HTTP session');
  const transport = session.channel.transport;
  if (c.req.method !== 'POST') return transport.handleRequest(c.req.raw);
  const rejected = checkPost(c);
  if (rejected) return rejected;
  const body = await readJsonBody(c.req.raw, maxBodyBytes);
  if (!isSingleRequest(body)) return transport.handleRequest(c.req.raw, { parsedBody: body });
  const version = c.req.header('mcp-protocol-version') ?? '2025-03-26';
  const exchange = new PerRequestHTTPServerTransport({
    classification: { era: 'legacy', revision: version },
    responseMode: 'auto',
    keepAliveMs,
  });
  exchange.onmessage = (m) => session.router.dispatch(m as RequestMessage, exchange);
  exchange.onclose = () => session.router.forget(body.id);
  await exchange.start();
  const res = await exchange.handleMessage(body as JSONRPCRequest, { request: c.req.raw });
  res.headers.set('mcp-session-id', session.id);
  return res;
}
