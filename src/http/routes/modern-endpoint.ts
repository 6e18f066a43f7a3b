/**
 * @module Stateless 2026-07-28 requests on `/package/{spec}/mcp`: no session and no initialize; each request
 * carries its version in `_meta` and goes to the configuration's shared child. `server/discover` is answered
 * from what the child told the gateway; `subscriptions/listen` opens a stream of change notifications; any
 * other request is one exchange of the SDK's per-request transport, which answers JSON unless something
 * must be streamed before the result (then SSE). A client that disconnects cancels its request.
 */

import type { JSONRPCMessage, JSONRPCRequest } from '@modelcontextprotocol/server';
import { PerRequestHTTPServerTransport } from '@modelcontextprotocol/server';
import type { Context } from 'hono';
import {
  ModernErrorCode,
  type ModernRequest,
  SUPPORTED_VERSIONS,
  validateModernRequest,
} from '../../mcp/modern-request.js';
import type { SharedMultiplexer } from '../../mcp/shared-multiplexer.js';

const SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';
const SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

const rpcError = (
  c: Context,
  id: ModernRequest['id'],
  code: number,
  message: string,
  data?: unknown,
  status: 200 | 400 = 400,
) => c.json({ jsonrpc: '2.0', id: id ?? null, error: { code, message, ...(data ? { data } : {}) } }, status);

/** What a client should do about a refused modern request (in `error.data.guidance`, like every error's). */
const MODERN_GUIDANCE = {
  [ModernErrorCode.HeaderMismatch]:
    'Send MCP-Protocol-Version, Mcp-Method and (for tools/call, prompts/get, resources/read) Mcp-Name headers that repeat the body: _meta["io.modelcontextprotocol/protocolVersion"], method and params.name/uri (spec 2026-07-28, basic/transports/streamable-http).',
  [ModernErrorCode.UnsupportedProtocolVersion]:
    'Use one of the supported versions; 2025 versions start with an initialize request instead of _meta.',
} as Record<number, string>;

/** Validates a modern request; returns an error Response, or null when it may proceed. */
export function rejectInvalidModern(c: Context, body: ModernRequest): Response | null {
  const verdict = validateModernRequest(c.req.raw.headers, body);
  if (verdict.ok) return null;
  const data = { ...(verdict.data as object | undefined), guidance: MODERN_GUIDANCE[verdict.code] };
  return rpcError(c, body.id, verdict.code, verdict.message, data);
}

/** Serves one validated modern request against the shared child. */
export async function serveModern(
  c: Context,
  body: ModernRequest,
  mux: SharedMultiplexer,
  keepAliveMs: number,
): Promise<Response> {
  if (body.id === undefined) return c.body(null, 202);
  if (body.method === 'server/discover')
    return c.json({ jsonrpc: '2.0', id: body.id, result: discoverResult(mux) });
  if (body.method === 'subscriptions/listen') return listen(c, body, mux, keepAliveMs);
  const transport = new PerRequestHTTPServerTransport({
    classification: { era: 'modern', revision: '2026-07-28' },
    responseMode: 'auto',
    keepAliveMs,
  });
  let childId: string | undefined;
  let finished = false;
  transport.onmessage = (m) => {
    const request = m as { id: string | number; method: string; params?: Record<string, unknown> };
    const reply = (n: JSONRPCMessage) =>
      void transport.send(n, { relatedRequestId: request.id }).catch(() => undefined);
    const sink = {
      related: reply,
      finish: (r: JSONRPCMessage) => {
        finished = true;
        reply(toModernResult(request.method, r));
      },
      canCarryServerRequests: false,
      acceptsInputRequest: (method: string) =>
        MRTR_METHODS.has(request.method) && declaresCapabilityFor(request, method),
    };
    const state = request.params?.requestState;
    if (typeof state === 'string') {
      if (!mux.resume(state, request, sink)) {
        sink.finish({
          jsonrpc: '2.0',
          id: request.id,
          error: {
            code: ModernErrorCode.InvalidParams,
            message: 'Invalid params: requestState is unknown or expired; send the original request again',
          },
        } as JSONRPCMessage);
      }
      return;
    }
    childId = mux.send(request, sink);
  };
  transport.onclose = () => {
    if (childId && !finished) mux.cancel(childId, 'the client closed its response stream');
  };
  await transport.start();
  return transport.handleMessage(body as JSONRPCRequest, { request: c.req.raw });
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
  const result: Record<string, unknown> = { resultType: 'complete', ...m.result };
  if (CACHEABLE.test(method)) {
    result.ttlMs ??= 0;
    result.cacheScope ??= 'private';
  }
  return { ...m, result } as JSONRPCMessage;
}

function discoverResult(mux: SharedMultiplexer) {
  const id = mux.process.identity;
  return {
    resultType: 'complete',
    supportedVersions: SUPPORTED_VERSIONS,
    capabilities: id.capabilities ?? {},
    ...(id.instructions ? { instructions: id.instructions } : {}),
    _meta: { [SERVER_INFO]: id.serverInfo ?? { name: 'unknown', version: '0' } },
  };
}

interface ListenFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

/** The part of the requested filter the child's capabilities can honour. */
function honoured(
  filter: ListenFilter,
  caps: Record<string, { listChanged?: boolean; subscribe?: boolean } | undefined>,
): ListenFilter {
  const out: ListenFilter = {};
  if (filter.toolsListChanged && caps.tools?.listChanged) out.toolsListChanged = true;
  if (filter.promptsListChanged && caps.prompts?.listChanged) out.promptsListChanged = true;
  if (filter.resourcesListChanged && caps.resources?.listChanged) out.resourcesListChanged = true;
  if (filter.resourceSubscriptions?.length && caps.resources?.subscribe)
    out.resourceSubscriptions = [...filter.resourceSubscriptions];
  return out;
}

function accepts(f: ListenFilter, m: JSONRPCMessage): boolean {
  if (!('method' in m)) return false;
  if (m.method === 'notifications/tools/list_changed') return !!f.toolsListChanged;
  if (m.method === 'notifications/prompts/list_changed') return !!f.promptsListChanged;
  if (m.method === 'notifications/resources/list_changed') return !!f.resourcesListChanged;
  const uri = (m.params as { uri?: string } | undefined)?.uri;
  return m.method === 'notifications/resources/updated' && !!uri && !!f.resourceSubscriptions?.includes(uri);
}

/** `subscriptions/listen` (spec 2026-07-28 basic/patterns/subscriptions): acknowledged, then matching changes. */
function listen(c: Context, body: ModernRequest, mux: SharedMultiplexer, keepAliveMs: number): Response {
  const filter = (body.params as { notifications?: ListenFilter } | undefined)?.notifications;
  if (!filter || typeof filter !== 'object')
    return rpcError(
      c,
      body.id,
      ModernErrorCode.InvalidParams,
      "Invalid params: 'notifications' is required",
      undefined,
      200,
    );
  const accepted = honoured(filter, (mux.process.identity.capabilities ?? {}) as never);
  const subscriptionId = body.id as string | number;
  const stamp = (m: JSONRPCMessage) => {
    const params = ('params' in m ? m.params : {}) as Record<string, unknown>;
    return {
      ...m,
      params: {
        ...params,
        _meta: { ...((params._meta as object) ?? {}), [SUBSCRIPTION_ID]: subscriptionId },
      },
    };
  };
  const encoder = new TextEncoder();
  let stop = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (m: unknown) =>
        controller.enqueue(encoder.encode(`event: message\ndata: ${JSON.stringify(m)}\n\n`));
      write(
        stamp({
          jsonrpc: '2.0',
          method: 'notifications/subscriptions/acknowledged',
          params: { notifications: accepted },
        }),
      );
      if (Object.keys(accepted).length === 0) {
        write({
          jsonrpc: '2.0',
          id: subscriptionId,
          result: { resultType: 'complete', _meta: { [SUBSCRIPTION_ID]: subscriptionId } },
        });
        controller.close();
        return;
      }
      for (const uri of accepted.resourceSubscriptions ?? [])
        void mux.requestOwn('resources/subscribe', { uri }).catch(() => undefined);
      const unsubscribe = mux.listen((m) => {
        if (accepts(accepted, m)) write(stamp(m));
      });
      const keepAlive = setInterval(
        () => controller.enqueue(encoder.encode(': keep-alive\n\n')),
        keepAliveMs,
      );
      stop = () => {
        unsubscribe();
        clearInterval(keepAlive);
      };
    },
    cancel() {
      stop();
    },
  });
  return new Response(stream, { headers: SSE_HEADERS });
}
