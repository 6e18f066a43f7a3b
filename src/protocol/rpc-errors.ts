/**
 * @module JSON-RPC errors: the wire codes (the SDK's ProtocolErrorCode, JSON-RPC 2.0 §5.1, plus the two the
 * gateway defines in the implementation range) and the local error raised when a request over a child's
 * stdio fails. Kept apart from GatewayError, which maps to HTTP answers.
 */
import { ProtocolErrorCode } from '@modelcontextprotocol/server';

/** JSON-RPC error codes used on the wire. */
export const JsonRpcCode = {
  ParseError: ProtocolErrorCode.ParseError,
  InvalidRequest: ProtocolErrorCode.InvalidRequest,
  MethodNotFound: ProtocolErrorCode.MethodNotFound,
  InvalidParams: ProtocolErrorCode.InvalidParams,
  InternalError: ProtocolErrorCode.InternalError,
  ResourceNotFound: ProtocolErrorCode.ResourceNotFound,
  UnsupportedProtocolVersion: ProtocolErrorCode.UnsupportedProtocolVersion,
  /** Implementation-defined server error range start (JSON-RPC 2.0 §5.1): the MCP server is gone. */
  ServerUnavailable: -32000,
  /**
   * The same code as the SDK's Streamable HTTP transport answers a POST it refuses by its headers
   * (406 Accept, 415 Content-Type, 400 MCP-Protocol-Version), so clients see what they would see there.
   */
  TransportRefused: -32000,
  /** The MCP server did not answer within the gateway's request timeout. */
  RequestTimeout: -32001,
  /** 2026-07-28: a header does not repeat the body (spec basic/transports/streamable-http). */
  HeaderMismatch: -32020,
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
