/** @module Turns any failure into its answer from the error table: status, headers and JSON body. */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { JsonRpcCode } from '../protocol/rpc-errors.js';
import { CATALOG, type ErrorCode } from './catalog.js';
import type { ErrorEntry } from './entry.js';
import { GatewayError } from './gateway-error.js';

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: string;
  code: ErrorCode;
  message: string;
  guidance: Record<string, unknown>;
  [extra: string]: unknown;
}

/**
 * The HTTP status, headers (Retry-After and WWW-Authenticate from the table) and JSON body for an
 * error; unknown errors become INTERNAL_ERROR without leaking their text.
 */
export function toErrorResponse(err: unknown): {
  status: ContentfulStatusCode;
  headers: Record<string, string>;
  body: ErrorBody;
} {
  const ge =
    err instanceof GatewayError ? err : new GatewayError('INTERNAL_ERROR', 'An unexpected error occurred.');
  const entry: ErrorEntry = CATALOG[ge.code];
  const body: ErrorBody = {
    error: entry.title,
    code: ge.code,
    message: ge.message,
    guidance: dropUndefined(entry.guidance(ge.details)),
  };
  const retry = typeof entry.retryAfter === 'function' ? entry.retryAfter(ge.details) : entry.retryAfter;
  const headers: Record<string, string> = retry === undefined ? {} : { 'retry-after': String(retry) };
  if (entry.wwwAuthenticate) headers['www-authenticate'] = entry.wwwAuthenticate(ge.details);
  return { status: entry.status, headers, body };
}

/** The JSON-RPC error code a GatewayError takes inside a JSON-RPC exchange (see ErrorEntry.rpcCode). */
export function rpcCodeOf(code: ErrorCode): number {
  return (CATALOG[code] as ErrorEntry).rpcCode ?? JsonRpcCode.ServerUnavailable;
}

function dropUndefined(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}
