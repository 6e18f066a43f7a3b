/** @module The shape of a row of the error table (errors/catalog.ts); imports nothing of the gateway. */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { JsonRpcCode } from '../protocol/rpc-errors.js';

/** Free-form, JSON-serialisable facts that the table turns into guidance. */
export type ErrorDetails = Record<string, unknown>;

/** One code's row: how it is answered over HTTP and JSON-RPC, and what the client should do. */
export interface ErrorEntry {
  status: ContentfulStatusCode;
  /** The `error` title users script against (wording kept from the original registry server). */
  title: string;
  /** Seconds for Retry-After (a number, or read from the details), when waiting helps. */
  retryAfter?: number | ((details: ErrorDetails) => number | undefined);
  /**
   * The JSON-RPC error code when the failure reaches an MCP client inside a JSON-RPC exchange (the
   * GatewayError's own code goes in `error.data.code`); ServerUnavailable when not given.
   */
  rpcCode?: (typeof JsonRpcCode)[keyof typeof JsonRpcCode];
  guidance: (details: ErrorDetails) => Record<string, unknown>;
  /** The `WWW-Authenticate` challenge of a 401 or 403 (RFC 6750 §3, RFC 9728 §5.1), from the details. */
  wwwAuthenticate?: (details: ErrorDetails) => string;
}
