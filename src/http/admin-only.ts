/** @module The one check of admin-only endpoints: 403 FORBIDDEN naming what is for admins. */
import type { Context } from 'hono';
import { GatewayError } from '../errors/gateway-error.js';

/** @throws GatewayError FORBIDDEN unless the caller is an admin; `what` says what ("Metrics are"). */
export function adminOnly(c: Context, what: string): void {
  if (c.get('principal').role !== 'admin')
    throw new GatewayError('FORBIDDEN', `${what} for admins.`, { requiredRole: 'admin' });
}
