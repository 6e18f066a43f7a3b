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
import { refusalResponse, refusePostBody, refusePostHeaders } from '../../mcp/post-rules.js';
import { readRequestJson } from '../json-body.js';

type RequestMessage = JSONRPCMessage & { id: string | number; method: string };

function isSingleRequest(body: unknown): body is RequestMessage {
  return !!body && typeof body === 'object' && !Array.isArray(body) && 'method' in body && 'id' in body;
}

const GUIDANCE = 'Fix the request as the message says; the session goes on.';

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
  const rejected = refusePostHeaders(c.req.raw.headers, true);
  if (rejected) return refusalResponse(rejected, GUIDANCE);
  const body = await readRequestJson(c, maxBodyBytes);
  const invalid = refusePostBody(body, true);
  if (invalid) return refusalResponse(invalid, GUIDANCE);
  if (!isSingleRequest(body)) return transport.handleRequest(c.req.raw, { parsedBody: body });
  if (session.port.inFlight(body.id))
    return refusalResponse(
      {
        status: 400,
        code: -32600,
        message: `Invalid Request: a request with id ${JSON.stringify(body.id).slice(0, 60)} is already in flight in this session`,
      },
      'Use a new id for every request of a session; wait for the answer or cancel the first request.',
    );
  const version = c.req.header('mcp-protocol-version') ?? '2025-03-26';
  const exchange = new PerRequestHTTPServerTransport({
    classification: { era: 'legacy', revision: version },
    responseMode: 'auto',
    keepAliveMs,
  });
  exchange.onmessage = (m) => session.port.dispatch(m as RequestMessage, exchange);
  exchange.onclose = () => session.port.forget(body.id);
  await exchange.start();
  const res = await exchange.handleMessage(body as JSONRPCRequest, { request: c.req.raw });
  res.headers.set('mcp-session-id', session.id);
  return res;
}
