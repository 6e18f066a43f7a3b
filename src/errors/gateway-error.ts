/** @module Typed local errors of the gateway: every failure carries a string code and optional details. */
import type { SecurityCode } from './security-catalog.js';

/** Every code the gateway can answer with; `errors/catalog.ts` maps each to HTTP status and guidance. */
export type ErrorCode =
  | 'INVALID_PACKAGE_SPEC'
  | 'REMOTE_NOT_SUPPORTED'
  | 'INVALID_VERSION_SPEC'
  | 'INVALID_PROTOCOL'
  | 'INVALID_PARAMETER'
  | 'ENV_NAME_DENIED'
  | 'INVALID_ARGS'
  | 'PACKAGE_NOT_FOUND'
  | 'VERSION_NOT_FOUND'
  | 'QUALITY_CHECK_FAILED'
  | 'PACKAGE_NOT_RUNNABLE'
  | 'REGISTRY_UNAVAILABLE'
  | 'RUNTIME_NOT_AVAILABLE'
  | 'INSTALL_FAILED'
  | 'SERVER_START_FAILED'
  | 'PROCESS_LIMIT_REACHED'
  | 'HOST_MEMORY_LOW'
  | 'PROCESS_NOT_FOUND'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'MALFORMED_REQUEST'
  | 'SESSION_NOT_FOUND'
  | 'CLUSTER_UNAVAILABLE'
  | 'SERVER_NOT_FOUND'
  | 'SESSION_REQUIRED'
  | 'ORIGIN_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | SecurityCode
  | 'INTERNAL_ERROR';

/** Free-form, JSON-serialisable facts that the catalog turns into message and guidance. */
export type ErrorDetails = Record<string, unknown>;

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
