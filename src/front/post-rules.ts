/**
 * @module The Streamable HTTP rules a POST must pass (spec 2025-11-25 basic/transports, "Sending Messages
 * to the Server"), checked before anything is made or relayed for it, with the answers the SDK transport
 * gives: 406 without both Accept types, 415 without a JSON Content-Type, 400 for an unsupported
 * MCP-Protocol-Version, for a body that is not JSON-RPC 2.0 (JSON-RPC 2.0 section 5.1: -32600 Invalid
 * Request) and for an initialize inside a batch. A refused initialize creates no session and no child.
 */
import { isJsonContentType } from '@modelcontextprotocol/server';
import { isJsonRpcMessage } from '../protocol/message-guard.js';
import { JsonRpcCode } from '../protocol/rpc-errors.js';
import { LEGACY_VERSIONS } from '../protocol/versions.js';
import { type HttpCall, JSON_HEADERS } from './http-call.js';

export interface PostRefusal {
  status: 400 | 406 | 415;
  code: number;
  message: string;
}

/** Why the transport refuses a POST by its headers, or undefined. `versioned`: a session request. */
export function refusePostHeaders(
  call: Pick<HttpCall, 'header'>,
  versioned: boolean,
): PostRefusal | undefined {
  const accept = call.header('accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream'))
    return {
      status: 406,
      code: JsonRpcCode.TransportRefused,
      message: 'Not Acceptable: Client must accept both application/json and text/event-stream',
    };
  if (!isJsonContentType(call.header('content-type') ?? null))
    return {
      status: 415,
      code: JsonRpcCode.TransportRefused,
      message: 'Unsupported Media Type: Content-Type must be application/json',
    };
  const version = call.header('mcp-protocol-version');
  if (versioned && version && !LEGACY_VERSIONS.includes(version))
    return {
      status: 400,
      code: JsonRpcCode.TransportRefused,
      message: `Bad Request: Unsupported protocol version (supported versions: ${LEGACY_VERSIONS.join(', ')})`,
    };
  return undefined;
}

/**
 * Why a POSTed body is refused: not JSON-RPC 2.0 messages, an initialize inside a batch (spec 2025-03-26
 * basic/lifecycle: "The initialization request MUST NOT be part of a JSON-RPC batch"), even a batch of
 * one, or an initialize inside a session that is initialized already (`inSession`).
 */
export function refusePostBody(body: unknown, inSession = false): PostRefusal | undefined {
  const messages = Array.isArray(body) ? body : [body];
  if (messages.length === 0 || !messages.every(isJsonRpcMessage))
    return {
      status: 400,
      code: JsonRpcCode.InvalidRequest,
      message: 'Invalid Request: the body is not a JSON-RPC 2.0 message',
    };
  if (!messages.some((m) => 'method' in m && m.method === 'initialize')) return undefined;
  if (inSession)
    return {
      status: 400,
      code: JsonRpcCode.InvalidRequest,
      message: 'Invalid Request: Server already initialized (this session was initialized once)',
    };
  if (Array.isArray(body))
    return {
      status: 400,
      code: JsonRpcCode.InvalidRequest,
      message: 'Invalid Request: initialize must not be part of a JSON-RPC batch',
    };
  return undefined;
}

/** Answers a refusal as a JSON-RPC error (guidance in `error.data`, like every error's). */
export function refuse(call: HttpCall, r: PostRefusal, guidance: string): void {
  rpcError(call, null, r.code, r.message, { guidance }, r.status);
}

/** Answers a JSON-RPC error over HTTP (the one shape every refused MCP POST gets). */
export function rpcError(
  call: HttpCall,
  id: string | number | null | undefined,
  code: number,
  message: string,
  data?: unknown,
  status = 400,
): void {
  const error = { code, message, ...(data ? { data } : {}) };
  call.answer(status, JSON_HEADERS, JSON.stringify({ jsonrpc: '2.0', id: id ?? null, error }));
}
