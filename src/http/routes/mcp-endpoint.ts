/**
 * @module `/package/{spec}/mcp`: Streamable HTTP for the 2025 protocol eras. An initialize POST without
 * a session creates a session with its own child; later requests carry Mcp-Session-Id and go to that
 * session's SDK transport, which applies the transport rules (Accept 406, Content-Type 415,
 * MCP-Protocol-Version 400, GET streams, DELETE, resumability).
 */
import type { Context } from 'hono';
import { GatewayError } from '../../errors/gateway-error.js';
import type { McpSessions } from '../../mcp/mcp-sessions.js';
import { configFromHeaders } from '../../runtime/env-mapping.js';
import type { PackageLauncher } from '../../runtime/package-launcher.js';
import type { PackagePath } from '../../spec/request-path.js';

export interface McpEndpointDeps {
  launcher: PackageLauncher;
  sessions: McpSessions;
  maxBodyBytes: number;
}

/** Reads a JSON body up to `limit` bytes. @throws GatewayError PAYLOAD_TOO_LARGE, MALFORMED_REQUEST */
async function readJsonBody(req: Request, limit: number): Promise<unknown> {
  const declared = Number(req.headers.get('content-length') ?? 0);
  if (declared > limit)
    throw new GatewayError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes.`, { limit });
  const buf = await req.arrayBuffer();
  if (buf.byteLength > limit)
    throw new GatewayError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes.`, { limit });
  try {
    return JSON.parse(new TextDecoder().decode(buf));
  } catch (cause) {
    throw new GatewayError('MALFORMED_REQUEST', 'The request body is not valid JSON.', {}, { cause });
  }
}

function isInitialize(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some(
    (m) => m && typeof m === 'object' && (m as { method?: unknown }).method === 'initialize',
  );
}

/** Handles one request on the MCP endpoint of a package. */
export async function handleMcpRequest(
  c: Context,
  route: PackagePath,
  query: Array<[string, string]>,
  d: McpEndpointDeps,
): Promise<Response> {
  const sessionId = c.req.header('mcp-session-id');
  if (sessionId) {
    const session = d.sessions.get(sessionId);
    if (!session)
      throw new GatewayError(
        'SESSION_NOT_FOUND',
        `Session '${sessionId.slice(0, 80)}' is unknown or has ended.`,
      );
    return session.transport.handleRequest(c.req.raw);
  }
  if (c.req.method !== 'POST') {
    throw new GatewayError(
      'SESSION_REQUIRED',
      `${c.req.method} needs an Mcp-Session-Id header from an earlier initialize.`,
    );
  }
  const body = await readJsonBody(c.req.raw, d.maxBodyBytes);
  if (!isInitialize(body))
    throw new GatewayError(
      'SESSION_REQUIRED',
      'Only an initialize request may come without an Mcp-Session-Id header.',
    );
  const config = { query, headers: configFromHeaders(c.req.raw.headers) };
  const session = await d.launcher.prepare(route, config, (req) => d.sessions.create(req));
  return session.transport.handleRequest(c.req.raw, { parsedBody: body });
}
