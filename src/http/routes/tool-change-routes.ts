/**
 * @module The approvals of tool pinning (admins): `GET /tool-changes` lists every definition a server
 * changed and the gateway holds (with what changed, field by field), `POST /tool-changes/{id}/approve`
 * serves it from the next list on, `POST /tool-changes/{id}/reject` keeps it out. Decisions are audited.
 */
import type { Hono } from 'hono';
import { GatewayError } from '../../errors/gateway-error.js';
import { adminOnly } from '../admin-only.js';
import type { AppDeps } from '../app-deps.js';

export function registerToolChangeRoutes(app: Hono, deps: AppDeps): void {
  app.get('/tool-changes', async (c) => {
    adminOnly(c, 'Approving tool changes is');
    return c.json({ mode: deps.pins.mode, changes: await deps.pins.list() });
  });
  for (const decision of ['approve', 'reject'] as const)
    app.post(`/tool-changes/:id/${decision}`, async (c) => {
      adminOnly(c, 'Approving tool changes is');
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
