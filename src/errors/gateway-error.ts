/** @module Typed local errors of the gateway: every failure carries a string code and optional details. */
import type { ErrorCode } from './catalog.js';
import type { ErrorDetails } from './entry.js';

export type { ErrorCode, ErrorDetails };

/**
 * The one error type the gateway throws on purpose. `message` is for humans (and safe to show:
 * it never contains secret values); `details` feed the guidance; `cause` keeps the low-level error.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
    this.details = details;
  }
}
