/**
 * @module Era dispatch for `/package/{spec}/mcp` and `/package/{spec}/sse`. `/mcp` is Streamable HTTP: a
 * request with Mcp-Session-Id belongs to a 2025 session (POSTs: serveSessionPost; GET streams and DELETE:
 * the session's SDK transport); a request whose `_meta` (or MCP-Protocol-Version header) names 2026-07-28
 * is stateless (modern-exchange.ts); an initialize without a session creates one, on the configuration's
 * shared child or a child of its own with `mode=isolated`. `/sse` is the legacy HTTP+SSE transport.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { GatewayError } from '../errors/gateway-error.js';
import type { Tracing } from '../observability/tracing.js';
import type { Principal } from '../policy/principal.js';
import { JsonRpcCode } from '../protocol/rpc-errors.js';
import { MODERN_VERSIONS, profileOf } from '../protocol/versions.js';
import type { RequestId } from '../relay/relay-port.js';
import type { Relays } from '../relay/relays.js';
import type { HttpCall } from './http-call.js';
import type { McpSession, McpSessions } from './mcp-sessions.js';
import { refuseInvalidModern, serveModern } from './modern-exchange.js';
import { declaredModernVersion, type ModernRequest } from './modern-request.js';
import type { PermissionGuards } from './permission-guard.js';
import { PostReply } from './post-reply.js';
import { refuse, refusePostBody, refusePostHeaders } from './post-rules.js';
import { requestSpan } from './request-span.js';
import type { Served } from './served.js';
import type { SessionMode } from './session-target.js';

type RequestMessage = JSONRPCMessage & { id: RequestId; method: string };

const isRequest = (m: JSONRPCMessage): m is RequestMessage => 'method' in m && 'id' in m;

const GUIDANCE = 'Fix the request as the message says; the session goes on.';

/**
 * A POST in a 2025-era session: the transport rules (post-rules.ts), then each message to the session's
 * relay; requests are answered on this POST (post-reply.ts). No SDK transport and no web objects: this
 * is the hot path.
 */
export async function serveSessionPost(
  call: HttpCall,
  session: McpSession,
  s: { maxBodyBytes: number; keepAliveMs: number; tracing?: Tracing | undefined },
): Promise<void> {
  const rejected = refusePostHeaders(call, true);
  if (rejected) return refuse(call, rejected, GUIDANCE);
  const body = await call.json(s.maxBodyBytes);
  const invalid = refusePostBody(body, true);
  if (invalid) return refuse(call, invalid, GUIDANCE);
  const messages = (Array.isArray(body) ? body : [body]) as JSONRPCMessage[];
  const ids = messages.filter(isRequest).map((m) => m.id);
  const reused = ids.find((id, i) => session.port.inFlight(id) || ids.indexOf(id) !== i);
  if (reused !== undefined)
    return refuse(
      call,
      {
        status: 400,
        code: JsonRpcCode.InvalidRequest,
        message: `Invalid Request: a request with id ${JSON.stringify(reused).slice(0, 60)} is already in flight in this session`,
      },
      'Use a new id for every request of a session; wait for the answer or cancel the first request.',
    );
  const headers = { 'mcp-session-id': session.id };
  if (ids.length === 0) {
    for (const m of messages) session.port.receive(m);
    return call.answer(202, headers, null);
  }
  const reply = new PostReply(call, ids, Array.isArray(body), {
    headers,
    keepAliveMs: s.keepAliveMs,
    // A span per POST of a single request (batches, from 2025-03-26 clients only, get none).
    span: Array.isArray(body) ? undefined : requestSpan(s.tracing, call, body as RequestMessage),
    carriesServerRequests: true,
    // A 2025 client's disconnect is no cancellation: what comes later goes to its GET stream.
    onEnd: () => {
      for (const id of ids) session.port.detachReply(id, reply);
    },
  });
  // Straight to the relay when the session is bound (it always is on Streamable HTTP).
  const target = session.port.target;
  for (const m of messages)
    if (target) target.relay.fromClient(target.port, m, isRequest(m) ? reply : undefined);
    else session.port.receive(m, isRequest(m) ? reply : undefined);
}

export interface McpEndpointDeps {
  sessions: McpSessions;
  relays: Relays;
  maxBodyBytes: number;
  keepAliveMs: number;
  /** Spans of requests (tracing on). */
  tracing?: Tracing;
  /** Tool permissions at the ports. */
  guards: PermissionGuards;
}

/** Who asks, and for what. */
export interface McpCaller {
  /** Who asks (its id owns the sessions; its role and scopes decide its tool permissions). */
  principal: Principal;
  mode: SessionMode;
  /** What serves it: a package's configuration, or a toolset. */
  served: Served;
  /**
   * The answer of the instance that holds a modern request's `requestState` (an MRTR retry that reached
   * another instance of the cluster), or undefined when it is held here.
   */
  toOwner?: (body: unknown) => Promise<Response | undefined>;
}

/**
 * A request of the modern era: a single message whose `_meta` declares its version, or one sent with a
 * modern MCP-Protocol-Version header (spec 2026-07-28 basic/versioning "Backward Compatibility").
 */
function isModern(call: HttpCall, body: unknown): boolean {
  if (Array.isArray(body) || !body || typeof body !== 'object') return false;
  const header = call.header('mcp-protocol-version');
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

const sessionGone = (id: string) =>
  new GatewayError('SESSION_NOT_FOUND', `Session '${id.slice(0, 80)}' is unknown or has ended.`);

/** Handles one request on the Streamable HTTP endpoint of a package (`/mcp`). */
export async function serveMcp(call: HttpCall, who: McpCaller, d: McpEndpointDeps): Promise<void> {
  const sessionId = call.header('mcp-session-id');
  if (sessionId) {
    const session = d.sessions.get(sessionId, who.principal.id, call.path);
    if (session?.channel.kind !== 'streamable') throw sessionGone(sessionId);
    if (call.method === 'POST') return serveSessionPost(call, session, d);
    return call.respond(await session.channel.transport.handleRequest(call.webRequest()));
  }
  if (call.method !== 'POST')
    throw new GatewayError(
      'SESSION_REQUIRED',
      `${call.method} needs an Mcp-Session-Id header from an earlier initialize.`,
    );
  const body = await call.json(d.maxBodyBytes);
  if (isModern(call, body)) return serveStateless(call, body as ModernRequest, who, d);
  if (!isInitialize(body))
    throw new GatewayError(
      'SESSION_REQUIRED',
      'Only an initialize request (2025 eras) or a request with 2026-07-28 _meta may come without an Mcp-Session-Id header.',
    );
  // A refused initialize must create nothing: no session, no child (the client gets no session id).
  const refusal = refusePostHeaders(call, false) ?? refusePostBody(body);
  if (refusal) return refuse(call, refusal, 'Fix the request as the message says; no session was created.');
  const profile = profileOf(
    (Array.isArray(body) ? body : [body]).find((m) => m?.method === 'initialize')?.params,
  );
  const session = await who.served.session((target) =>
    d.sessions.createStreamable(target, call.path, who.mode, profile),
  );
  if (session.channel.kind !== 'streamable')
    throw new GatewayError('INTERNAL_ERROR', 'Session kind mismatch.');
  const res = await session.channel.transport.handleRequest(call.webRequest(), { parsedBody: body });
  // Anything else the transport refused leaves no session behind either.
  if (!res.headers.get('mcp-session-id')) await d.sessions.end(session.id, 'its initialize was refused');
  call.respond(res);
}

/** A stateless 2026-07-28 request: validated, sent to the instance holding its state, or served here. */
async function serveStateless(
  call: HttpCall,
  body: ModernRequest,
  who: McpCaller,
  d: McpEndpointDeps,
): Promise<void> {
  if (refuseInvalidModern(call, body)) return;
  const elsewhere = await who.toOwner?.(body);
  if (elsewhere) return call.respond(elsewhere);
  const { host, guard } = await who.served.stateless();
  serveModern(call, body, host, d.keepAliveMs, d.tracing, guard);
}

/**
 * The session mode a client asks for (`?mode=` or `X-MCP-Mode`): `shared` (the default) serves the
 * session from the child this principal's sessions of the configuration share; `isolated` gives it a
 * child of its own. Either way no child serves two principals.
 * @throws GatewayError INVALID_PARAMETER for any other value.
 */
export function sessionMode(query: ReadonlyArray<[string, string]>, header: string | undefined): SessionMode {
  const mode = query.find(([k]) => k === 'mode')?.[1] ?? header ?? 'shared';
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
export async function serveSse(
  call: HttpCall,
  sessionId: string | undefined,
  who: McpCaller,
  d: McpEndpointDeps,
): Promise<void> {
  if (call.method === 'POST') {
    const session = d.sessions.get(sessionId ?? '', who.principal.id, call.path);
    if (session?.channel.kind !== 'sse') throw sessionGone(sessionId ?? '');
    const body = await call.json(d.maxBodyBytes);
    if (!isJsonRpc(body))
      throw new GatewayError('MALFORMED_REQUEST', 'The body is not a JSON-RPC 2.0 message.', {
        part: 'body',
      });
    session.channel.transport.receive(Array.isArray(body) ? body : [body]);
    return call.answer(202, { 'content-type': 'text/plain; charset=UTF-8' }, 'Accepted');
  }
  if (call.method !== 'GET')
    throw new GatewayError(
      'METHOD_NOT_ALLOWED',
      'The SSE endpoint answers GET (stream) and POST (messages).',
      { allowed: ['GET', 'POST'] },
    );
  const session = await who.served.session((target) => d.sessions.createSse(target, call.path, who.mode));
  if (session.channel.kind !== 'sse') throw new GatewayError('INTERNAL_ERROR', 'Session kind mismatch.');
  session.channel.transport.open(call);
}
