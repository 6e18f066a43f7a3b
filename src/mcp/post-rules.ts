/**
 * @module The Streamable HTTP rules a POST must pass (spec 2025-11-25 basic/transports, "Sending Messages
 * to the Server"), checked before anything is made or relayed for it, with the answers the SDK transport
 * gives: 406 without both Accept types, 415 without a JSON Content-Type, 400 for an unsupported
 * MCP-Protocol-Version, for a body that is not JSON-RPC 2.0 (JSON-RPC 2.0 section 5.1: -32600 Invalid
 * Request) and for an initialize inside a batch. A refused initialize creates no session and no child.
 */
import { isInitializeRequest, isJsonContentType, isSpecType } from '@modelcontextprotocol/server';
import { JsonRpcCode } from '../protocol/rpc-errors.js';
import { LEGACY_VERSIONS } from '../protocol/versions.js';

export interface PostRefusal {
  status: 400 | 406 | 415;
  code: number;
  message: string;
}

/** Why the transport refuses a POST by its headers, or undefined. `versioned`: a session request. */
export function refusePostHeaders(headers: Headers, versioned: boolean): PostRefusal | undefined {
  const accept = headers.get('accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream'))
    return {
      status: 406,
      code: -32000,
      message: 'Not Acceptable: Client must accept both application/json and text/event-stream',
    };
  if (!isJsonContentType(headers.get('content-type')))
    return {
      status: 415,
      code: -32000,
      message: 'Unsupported Media Type: Content-Type must be application/json',
    };
  const version = headers.get('mcp-protocol-version');
  if (versioned && version && !LEGACY_VERSIONS.includes(version))
    return {
      status: 400,
      code: -32000,
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
  if (messages.length === 0 || !messages.every((m) => isSpecType.JSONRPCMessage(m)))
    return {
      status: 400,
      code: JsonRpcCode.InvalidRequest,
      message: 'Invalid Request: the body is not a JSON-RPC 2.0 message',
    };
  if (!messages.some((m) => isInitializeRequest(m))) return undefined;
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

/** The JSON-RPC error answer for a refusal (guidance in `error.data`, like every error's). */
export function refusalResponse(r: PostRefusal, guidance: string): Response {
  return rpcErrorResponse(null, r.code, r.message, { guidance }, r.status);
}

/** A JSON-RPC error answer as an HTTP response (the one shape every refused MCP POST gets). */
export function rpcErrorResponse(
  id: string | number | null | undefined,
  code: number,
  message: string,
  data?: unknown,
  status = 400,
): Response {
  return Response.json(
    { jsonrpc: '2.0', id: id ?? null, error: { code, message, ...(data ? { data } : {}) } },
    { status },
  );
}
