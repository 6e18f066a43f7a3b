/**
 * @module JSON-RPC errors: the wire codes (JSON-RPC 2.0 §5.1 and MCP) and the local error raised when a
 * request over a child's stdio fails. Kept apart from GatewayError, which maps to HTTP answers.
 */

/** JSON-RPC 2.0 error codes used on the wire. */
export const JsonRpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Implementation-defined server error range start (JSON-RPC 2.0 §5.1): the MCP server is gone. */
  ServerUnavailable: -32000,
  RequestTimeout: -32001,
} as const;

export type RpcFailureKind = 'remote' | 'timeout' | 'closed';

/** A request over stdio that failed: the server answered an error, timed out or went away. */
export class RpcRequestError extends Error {
  constructor(
    readonly kind: RpcFailureKind,
    message: string,
    readonly code: number,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcRequestError';
  }
}
