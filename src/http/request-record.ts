/**
 * @module What every answered request leaves behind, whoever served it (Hono or the hot path): its
 * request id, the metrics, the access-log line, and for refusals the JSON error with its headers and
 * the audit record. One place, so both paths answer and count alike.
 */
import { randomUUID } from 'node:crypto';
import { toErrorResponse } from '../errors/error-response.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { AppDeps } from './app-deps.js';

/**
 * The request id of an answer: the client's `X-Request-Id` when it is a sane token (letters, digits,
 * `_`, `-`, `=`; at most 255 characters), else a new UUID.
 */
export function requestIdOf(header: string | undefined): string {
  return header && header.length <= 255 && /^[\w\-=]+$/.test(header) ? header : randomUUID();
}

/** What a request costs, for the rate limits and the log level (see app.ts). */
export type Meter = 'message' | 'session' | 'request';

/** A bounded route label for metrics (never the raw path, which holds package names and ids). */
export function routeLabel(path: string): string {
  if (path.startsWith('/package/')) return '/package';
  if (path.startsWith('/processes/') || path.startsWith('/logs/')) return '/processes/:id';
  return ['/', '/health', '/metrics', '/processes', '/sessions'].includes(path) ? path : 'other';
}

/** Labelled metric children, made once per label set (prom-client hashes the labels on every call else). */
const children = new WeakMap<object, Map<string, { inc(): void } | { observe(v: number): void }>>();

function child<T>(metric: { labels(...values: string[]): T }, values: string[]): T {
  let byKey = children.get(metric);
  if (!byKey) {
    byKey = new Map();
    children.set(metric, byKey);
  }
  const key = values.join('\n');
  let c = byKey.get(key) as T | undefined;
  if (!c) {
    c = metric.labels(...values);
    byKey.set(key, c as never);
  }
  return c;
}

/** Counts an answered request and writes its access-log line (debug for successful messages). */
export function recordRequest(
  deps: Pick<AppDeps, 'metrics' | 'logger'>,
  r: { requestId: string; method: string; path: string; status: number; started: number; meter: Meter },
): void {
  const route = routeLabel(r.path);
  const seconds = (performance.now() - r.started) / 1000;
  // Label sets are bounded: routes are labels, methods the HTTP ones Node parses, statuses three digits.
  child(deps.metrics.httpRequests, [route, r.method, String(r.status)]).inc();
  child(deps.metrics.httpDuration, [route]).observe(seconds);
  // Messages to a child are the hot path (thousands a minute): their lines are debug; metrics count them.
  const level = r.meter === 'message' && r.status < 400 ? 'debug' : 'info';
  if (!deps.logger.isLevelEnabled(level)) return;
  deps.logger[level](
    { requestId: r.requestId, method: r.method, route, status: r.status, ms: Math.round(seconds * 1000) },
    'request',
  );
}

/** Refusals the audit log keeps: keys, policy, and requests from web pages or foreign host names. */
const REFUSALS: Partial<Record<string, 'auth.refused' | 'policy.refused' | 'browser.refused'>> = {
  AUTH_REQUIRED: 'auth.refused',
  AUTH_INVALID: 'auth.refused',
  FORBIDDEN: 'auth.refused',
  POLICY_DENIED: 'policy.refused',
  ENV_NAME_DENIED: 'policy.refused',
  ORIGIN_NOT_ALLOWED: 'browser.refused',
  HOST_NOT_ALLOWED: 'browser.refused',
};

/** The request an error answers, as the log and the audit record name it. */
export interface FailedRequest {
  requestId: string;
  method: string;
  path: string;
  principal: string | undefined;
  address: string | undefined;
}

/**
 * The JSON answer for any failure (`{error, code, message, guidance}`) with its headers (Retry-After
 * from the error table, WWW-Authenticate); logs it and records refusals in the audit log.
 */
export function errorAnswer(
  deps: Pick<AppDeps, 'logger' | 'audit'>,
  err: unknown,
  r: FailedRequest,
): { status: number; headers: Record<string, string>; body: ReturnType<typeof toErrorResponse>['body'] } {
  const { status, headers, body } = toErrorResponse(err);
  if (status >= 500)
    deps.logger.error(
      { requestId: r.requestId, code: body.code, err: err instanceof GatewayError ? err.message : err },
      'request failed',
    );
  else deps.logger.info({ requestId: r.requestId, code: body.code }, 'request refused');
  const type = REFUSALS[body.code];
  if (type)
    deps.audit.record({
      type,
      ...(r.principal ? { principal: r.principal } : {}),
      address: r.address ?? 'unknown',
      outcome: body.code,
      detail: `${r.method} ${r.path.slice(0, 200)}: ${body.message.slice(0, 300)}`,
    });
  return { status, headers, body };
}
