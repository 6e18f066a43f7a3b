/** @module GET /audit (admins): the audit log's latest events, filtered by principal, package, type and time. */
import type { Hono } from 'hono';
import { GatewayError } from '../../errors/gateway-error.js';
import { adminOnly } from '../admin-only.js';
import type { AppDeps } from '../app-deps.js';

/** `since` as ms since the epoch: an RFC 3339 date-time or a number of ms. */
function sinceOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (Number.isNaN(ms))
    throw new GatewayError(
      'INVALID_PARAMETER',
      'Invalid parameter: since must be an RFC 3339 date-time or ms.',
      {
        parameter: 'since',
      },
    );
  return ms;
}

export function registerAuditRoutes(app: Hono, deps: AppDeps): void {
  app.get('/audit', (c) => {
    adminOnly(c, 'The audit log is');
    const q = (k: string) => c.req.query(k) || undefined;
    const limit = q('limit');
    if (limit !== undefined && !/^\d+$/.test(limit))
      throw new GatewayError('INVALID_PARAMETER', 'Invalid parameter: limit must be a positive integer.', {
        parameter: 'limit',
      });
    const events = deps.audit.query({
      ...(q('principal') ? { principal: q('principal') } : {}),
      ...(q('package') ? { package: q('package') } : {}),
      ...(q('type') ? { type: q('type') } : {}),
      ...(q('since') ? { since: sinceOf(q('since')) } : {}),
      ...(limit ? { limit: Number(limit) } : {}),
    });
    return c.json({ events, total: events.length });
  });
}
