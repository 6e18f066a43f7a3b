/**
 * @module A POST in a 2025-era Streamable HTTP session: the transport rules (post-rules.ts), then each
 * message to the session's port; requests are answered on this POST (post-reply.ts). No SDK transport
 * and no web objects: this is the hot path. GET streams and DELETE stay with the session's SDK transport.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { JsonRpcCode } from '../protocol/rpc-errors.js';
import type { RequestId } from '../relay/relay-port.js';
import type { HttpCall } from './http-call.js';
import type { McpSession } from './mcp-sessions.js';
import { PostReply } from './post-reply.js';
import { refuse, refusePostBody, refusePostHeaders } from './post-rules.js';

type RequestMessage = JSONRPCMessage & { id: RequestId; method: string };

const isRequest = (m: JSONRPCMessage): m is RequestMessage => 'method' in m && 'id' in m;

const GUIDANCE = 'Fix the request as the message says; the session goes on.';

/** Serves one POST of a Streamable HTTP session. */
export async function serveSessionPost(
  call: HttpCall,
  session: McpSession,
  s: { maxBodyBytes: number; keepAliveMs: number },
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
    carriesServerRequests: true,
    // A 2025 client's disconnect is no cancellation: what comes later goes to its GET stream.
    onEnd: () => {
      for (const id of ids) session.port.detachReply(id, reply);
    },
  });
  for (const m of messages) session.port.receive(m, isRequest(m) ? reply : undefined);
}
