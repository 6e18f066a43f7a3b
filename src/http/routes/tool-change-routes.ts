/**
 * @module The approvals of tool pinning (admins): `GET /tool-changes` lists every definition a server
 * changed and the gateway holds (with what changed, field by field), `POST /tool-changes/{id}/approve`
 * serves it from the next list on, `POST /tool-changes/{id}/reject` keeps it out. Decisions are audited.
 */
import type { Context, Hono } from 'hono';
import { GatewayError } from '../../errors/gateway-error.js';
import type { AppDeps } from '../app-deps.js';

function adminOnly(c: Context): void {
  if (c.get('principal').role !== 'admin')
    throw new GatewayError('FORBIDDEN', 'Approving tool changes is for admins.', { requiredRole: 'admin' });
}

export function registerToolChangeRoutes(app: Hono, deps: AppDeps): void {
  app.get('/tool-changes', async (c) => {
    adminOnly(c);
    return c.json({ mode: deps.pins.mode, changes: await deps.pins.list() });
  });
  for (const decision of ['approve', 'reject'] as const)
    app.post(`/tool-changes/:id/${decision}`, async (c) => {
      adminOnly(c);
      const id = c.req.param('id').slice(0, 64);
      const decided = await deps.pins.decide(id, decision === 'approve');
      if (!decided)
        throw new GatewayError(
          'ROUTE_NOT_FOUND',
          `No held tool change '${id}' (GET /tool-changes lists them).`,
        );
      deps.audit.record({
        type: decision === 'approve' ? 'tool.approved' : 'tool.rejected',
        principal: c.get('principal').id,
        package: decided.package,
        version: decided.version,
        tool: `${decided.kind}:${decided.name}`,
        outcome: decision === 'approve' ? 'approved' : 'rejected',
      });
      return c.json({ ...decided, state: decision === 'approve' ? 'approved' : 'rejected' });
    });
}
