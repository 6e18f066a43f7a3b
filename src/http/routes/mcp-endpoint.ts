/**
 * @module `/package/{spec}/mcp` and `/package/{spec}/sse`. `/mcp` is Streamable HTTP: an initialize POST
 * without a session creates a session (on the configuration's shared child, or a child of its own with
 * `mode=isolated`); later requests carry Mcp-Session-Id and go to that session's SDK transport, which
 * applies the transport rules (Accept 406, Content-Type 415, MCP-Protocol-Version 400, GET streams,
 * DELETE, resumability). 2026-07-28 requests are stateless and served by mcp/modern-exchange.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { Context } from 'hono';
import { GatewayError } from '../../errors/gateway-error.js';
import type { McpSessions, SessionMode } from '../../mcp/mcp-sessions.js';
import { rejectInvalidModern, serveModern } from '../../mcp/modern-exchange.js';
import { declaredModernVersion, type ModernRequest } from '../../mcp/modern-request.js';
import { refusalResponse, refusePostBody, refusePostHeaders } from '../../mcp/post-rules.js';
import type { Relays } from '../../mcp/relays.js';
import { MODERN_VERSIONS, profileOf } from '../../protocol/versions.js';
import type { PackageLauncher } from '../../runtime/package-launcher.js';
import type { PackagePath } from '../../spec/request-path.js';
import { readRequestJson } from '../json-body.js';
import { requestConfig } from '../request-config.js';
import { serveSessionRequest } from './session-request.js';

export interface McpEndpointDeps {
  launcher: PackageLauncher;
  sessions: McpSessions;
  relays: Relays;
  maxBodyBytes: number;
  keepAliveMs: number;
  /**
   * The answer of the instance that holds a modern request's `requestState` (an MRTR retry that reached
   * another instance of the cluster), or undefined when it is held here.
   */
  toOwner?: (c: Context, body: unknown) => Promise<Response | undefined>;
}

/**
 * A request of the modern era: a single message whose `_meta` declares its version, or one sent with a
 * modern MCP-Protocol-Version header (spec 2026-07-28 basic/versioning "Backward Compatibility").
 */
function isModern(c: Context, body: unknown): boolean {
  if (Array.isArray(body) || !body || typeof body !== 'object') return false;
  const header = c.req.header('mcp-protocol-version');
  return (
    declaredModernVersion(body) !== undefined || (header !== undefined && MODERN_VERSIONS.includes(header))
  );
}

function isInitialize(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some(
    (m) => m && typeof m === 'object' && (m as { method?: unknown }).method === 'initialize',
  );
}

/** Handles one request on the Streamable HTTP endpoint of a package (`/mcp`). */
export async function handleMcpRequest(
  c: Context,
  route: PackagePath,
  query: Array<[string, string]>,
  d: McpEndpointDeps,
): Promise<Response> {
  const sessionId = c.req.header('mcp-session-id');
  if (sessionId) {
    const session = d.sessions.get(sessionId, c.get('principal').id, new URL(c.req.url).pathname);
    if (session?.channel.kind !== 'streamable')
      throw new GatewayError(
        'SESSION_NOT_FOUND',
        `Session '${sessionId.slice(0, 80)}' is unknown or has ended.`,
      );
    return serveSessionRequest(c, session, d.maxBodyBytes, d.keepAliveMs);
  }
  if (c.req.method !== 'POST') {
    throw new GatewayError(
      'SESSION_REQUIRED',
      `${c.req.method} needs an Mcp-Session-Id header from an earlier initialize.`,
    );
  }
  const body = await readRequestJson(c, d.maxBodyBytes);
  const config = requestConfig(c, query);
  if (isModern(c, body)) {
    const request = body as ModernRequest;
    const invalid = rejectInvalidModern(c.req.raw.headers, request);
    if (invalid) return invalid;
    const elsewhere = await d.toOwner?.(c, body);
    if (elsewhere) return elsewhere;
    const relay = await d.launcher.prepare(route, config, (req) => d.relays.shared(req));
    return serveModern(c.req.raw, request, relay, d.keepAliveMs);
  }
  if (!isInitialize(body)) {
    throw new GatewayError(
      'SESSION_REQUIRED',
      'Only an initialize request (2025 eras) or a request with 2026-07-28 _meta may come without an Mcp-Session-Id header.',
    );
  }
  // A refused initialize must create nothing: no session, no child (the client gets no session id).
  const refusal = refusePostHeaders(c.req.raw.headers, false) ?? refusePostBody(body);
  if (refusal)
    return refusalResponse(refusal, 'Fix the request as the message says; no session was created.');
  const mode = sessionMode(c, query);
  const profile = profileOf(
    (Array.isArray(body) ? body : [body]).find((m) => m?.method === 'initialize')?.params,
  );
  const session = await d.launcher.prepare(route, config, (req) =>
    d.sessions.createStreamable(req, new URL(c.req.url).pathname, mode, profile),
  );
  if (session.channel.kind !== 'streamable')
    throw new GatewayError('INTERNAL_ERROR', 'Session kind mismatch.');
  const res = await session.channel.transport.handleRequest(c.req.raw, { parsedBody: body });
  // Anything else the transport refused leaves no session behind either.
  if (!res.headers.get('mcp-session-id')) await d.sessions.end(session.id, 'its initialize was refused');
  return res;
}

/**
 * The session mode a client asks for (`?mode=` or `X-MCP-Mode`): `shared` (the default) serves the
 * session from the child this principal's sessions of the configuration share; `isolated` gives it a
 * child of its own. Either way no child serves two principals.
 * @throws GatewayError INVALID_PARAMETER for any other value.
 */
export function sessionMode(c: Context, query: ReadonlyArray<[string, string]>): SessionMode {
  const mode = query.find(([k]) => k === 'mode')?.[1] ?? c.req.header('x-mcp-mode') ?? 'shared';
  if (mode === 'isolated' || mode === 'shared') return mode;
  throw new GatewayError(
    'INVALID_PARAMETER',
    `Invalid parameter: mode must be 'shared' or 'isolated' (got '${mode.slice(0, 40)}').`,
    { parameter: 'mode', validValues: ['shared', 'isolated'] },
  );
}

/** True for a JSON-RPC 2.0 message (request, notification or response) or a non-empty batch of them. */
function isJsonRpc(body: unknown): body is JSONRPCMessage | JSONRPCMessage[] {
  const one = (m: unknown) => !!m && typeof m === 'object' && (m as { jsonrpc?: unknown }).jsonrpc === '2.0';
  return Array.isArray(body) ? body.length > 0 && body.every(one) : one(body);
}

/**
 * Handles the legacy HTTP+SSE transport (`/sse`): GET opens the event stream of a new session; POST with
 * `?sessionId=` delivers client messages to it and answers 202 Accepted.
 */
export async function handleSseRequest(
  c: Context,
  route: PackagePath,
  query: Array<[string, string]>,
  d: McpEndpointDeps,
): Promise<Response> {
  if (c.req.method === 'POST') {
    const sessionId = query.find(([k]) => k === 'sessionId')?.[1] ?? '';
    const session = d.sessions.get(sessionId, c.get('principal').id, new URL(c.req.url).pathname);
    if (session?.channel.kind !== 'sse')
      throw new GatewayError(
        'SESSION_NOT_FOUND',
        `Session '${sessionId.slice(0, 80)}' is unknown or has ended.`,
      );
    const body = await readRequestJson(c, d.maxBodyBytes);
    if (!isJsonRpc(body))
      throw new GatewayError('MALFORMED_REQUEST', 'The body is not a JSON-RPC 2.0 message.', {
        part: 'body',
      });
    session.channel.transport.receive(Array.isArray(body) ? body : [body]);
    return c.text('Accepted', 202);
  }
  if (c.req.method !== 'GET')
    throw new GatewayError(
      'METHOD_NOT_ALLOWED',
      'The SSE endpoint answers GET (stream) and POST (messages).',
      { allowed: ['GET', 'POST'] },
    );
  const path = new URL(c.req.url).pathname;
  const mode = sessionMode(c, query);
  const config = requestConfig(c, query);
  const session = await d.launcher.prepare(route, config, (req) => d.sessions.createSse(req, path, mode));
  if (session.channel.kind !== 'sse') throw new GatewayError('INTERNAL_ERROR', 'Session kind mismatch.');
  return new Response(session.channel.transport.stream, {
    headers: {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    },
  });
}
