/**
 * @module Stateless 2026-07-28 requests: no session and no initialize; each request carries its version
 * in `_meta` and goes to the configuration's shared child through a port of its own on the child's relay.
 * `server/discover` is answered from what the child told the gateway; `subscriptions/listen` opens a
 * stream of change notifications; any other request is answered on its POST (JSON, or SSE when
 * something must be streamed before the result). A client that disconnects cancels its request; a server
 * request becomes an InputRequiredResult (MRTR).
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { Tracing } from '../observability/tracing.js';
import { SUPPORTED_VERSIONS } from '../protocol/versions.js';
import type { PortGuard, PortHost } from '../relay/relay-port.js';
import { type HttpCall, JSON_HEADERS } from './http-call.js';
import { listen } from './modern-listen.js';
import { ModernErrorCode, type ModernRequest, validateModernRequest } from './modern-request.js';
import { PostReply } from './post-reply.js';
import { rpcError } from './post-rules.js';
import { requestSpan } from './request-span.js';

const SERVER_INFO = 'io.modelcontextprotocol/serverInfo';

/** What a client should do about a refused modern request (in `error.data.guidance`, like every error's). */
const MODERN_GUIDANCE = {
  [ModernErrorCode.HeaderMismatch]:
    'Send MCP-Protocol-Version, Mcp-Method and (for tools/call, prompts/get, resources/read) Mcp-Name headers that repeat the body: _meta["io.modelcontextprotocol/protocolVersion"], method and params.name/uri (spec 2026-07-28, basic/transports/streamable-http).',
  [ModernErrorCode.UnsupportedProtocolVersion]:
    'Use one of the supported versions; 2025 versions start with an initialize request instead of _meta.',
} as Record<number, string>;

/** Validates a modern request; answers the refusal and returns true when it may not proceed. */
export function refuseInvalidModern(call: HttpCall, body: ModernRequest): boolean {
  const verdict = validateModernRequest((name) => call.header(name), body);
  if (verdict.ok) return false;
  const data = { ...(verdict.data as object | undefined), guidance: MODERN_GUIDANCE[verdict.code] };
  rpcError(call, body.id, verdict.code, verdict.message, data);
  return true;
}

type Request = JSONRPCMessage & { id: string | number; method: string; params?: Record<string, unknown> };

/** Serves one validated modern request against the shared child's relay (or a toolset's hub). */
export function serveModern(
  call: HttpCall,
  body: ModernRequest,
  relay: PortHost,
  keepAliveMs: number,
  tracing?: Tracing,
  guard?: PortGuard,
): void {
  if (body.id === undefined) {
    call.answer(202, {}, null);
    return;
  }
  if (body.method === 'server/discover') {
    const result = discoverResult(relay);
    call.answer(200, JSON_HEADERS, JSON.stringify({ jsonrpc: '2.0', id: body.id, result }));
    return;
  }
  if (body.method === 'subscriptions/listen') {
    listen(call, body, relay, keepAliveMs, guard);
    return;
  }
  const method = body.method;
  const reply = new PostReply(call, [body.id], false, {
    headers: {},
    keepAliveMs,
    carriesServerRequests: false,
    acceptsInputRequest: (serverMethod) =>
      MRTR_METHODS.has(method) && declaresCapabilityFor(body, serverMethod),
    shape: (m) => toModernResult(method, m),
    onEnd: () => port.close(),
    span: requestSpan(tracing, call, body),
  });
  const port = relay.open(reply, guard);
  const request = body as Request;
  const state = request.params?.requestState;
  if (typeof state !== 'string') {
    port.receive(request);
    return;
  }
  if (!relay.resume(state, port, request))
    reply.deliver({
      jsonrpc: '2.0',
      id: request.id,
      error: {
        code: ModernErrorCode.InvalidParams,
        message: 'Invalid params: requestState is unknown or expired; send the original request again',
      },
    } as JSONRPCMessage);
}

/** Requests that may end with an InputRequiredResult (spec 2026-07-28 basic/patterns/mrtr "Supported Requests"). */
const MRTR_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);
/** The client capability each input request needs. */
const CAPABILITY_FOR: Record<string, string> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

/** Whether the request's `_meta` client capabilities cover the server request `method`. */
function declaresCapabilityFor(request: { params?: Record<string, unknown> }, method: string): boolean {
  const meta = request.params?._meta as Record<string, unknown> | undefined;
  const caps = meta?.['io.modelcontextprotocol/clientCapabilities'] as Record<string, unknown> | undefined;
  const needed = CAPABILITY_FOR[method];
  return !!needed && !!caps && caps[needed] !== undefined && caps[needed] !== false;
}

/** Results that carry cache hints in the modern era (spec 2026-07-28, SEP-2549). */
const CACHEABLE = /\/list$|^resources\/read$/;

/**
 * Shapes a legacy child's result for a modern client: it is complete (spec 2026-07-28 basic/patterns/mrtr),
 * and cacheable results get the most careful hint (immediately stale, private), since the gateway cannot
 * know better than the child, which says nothing.
 */
function toModernResult(method: string, m: JSONRPCMessage): JSONRPCMessage {
  if (!('result' in m) || typeof m.result !== 'object' || m.result === null) return m;
  if ((m.result as { resultType?: unknown }).resultType !== undefined) return m; // already shaped (MRTR)
  const result: Record<string, unknown> = { resultType: 'complete', ...m.result };
  if (CACHEABLE.test(method)) {
    result.ttlMs ??= 0;
    result.cacheScope ??= 'private';
  }
  return { ...m, result } as JSONRPCMessage;
}

function discoverResult(relay: PortHost) {
  const id = relay.identity;
  return {
    resultType: 'complete',
    supportedVersions: SUPPORTED_VERSIONS,
    capabilities: id.capabilities ?? {},
    ...(id.instructions ? { instructions: id.instructions } : {}),
    _meta: { [SERVER_INFO]: id.serverInfo ?? { name: 'unknown', version: '0' } },
  };
}
