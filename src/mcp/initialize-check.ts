/**
 * @module The transport rules an `initialize` POST must pass (spec 2025-11-25 basic/transports,
 * "Sending Messages to the Server"), checked before a session or a child is made for it, with the
 * answers the SDK transport gives: 406 without both Accept types, 415 without a JSON Content-Type, 400
 * for an initialize inside a batch or a message that is not JSON-RPC. A refused initialize creates
 * nothing.
 */
import { isInitializeRequest, isJsonContentType, isSpecType } from '@modelcontextprotocol/server';

export interface InitializeRefusal {
  status: 400 | 406 | 415;
  code: number;
  message: string;
}

/** Why the transport would refuse this initialize POST, or undefined when it passes. */
export function refuseInitialize(headers: Headers, body: unknown): InitializeRefusal | undefined {
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
  const messages = Array.isArray(body) ? body : [body];
  if (!messages.every((m) => isSpecType.JSONRPCMessage(m)))
    return { status: 400, code: -32700, message: 'Parse error: Invalid JSON-RPC message' };
  if (messages.length > 1 && messages.some((m) => isInitializeRequest(m)))
    return {
      status: 400,
      code: -32600,
      message: 'Invalid Request: Only one initialization request is allowed',
    };
  return undefined;
}
