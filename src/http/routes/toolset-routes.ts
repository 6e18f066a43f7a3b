/**
 * @module Toolsets, defined by admins: `PUT /toolsets/{name}` (the whole definition: servers under
 * aliases, their parameters, which tools), `GET /toolsets` and `GET /toolsets/{name}` (parameter values
 * masked, for every caller: what a toolset serves is no secret, its parameters are), `DELETE
 * /toolsets/{name}`. Changes are audited. Parameters are stored sealed (toolset-store.ts).
 */
import type { Hono } from 'hono';
import { GatewayError } from '../../errors/gateway-error.js';
import { parseToolset } from '../../policy/toolset-definition.js';
import { adminOnly } from '../admin-only.js';
import type { AppDeps } from '../app-deps.js';
import { readRequestJson } from '../json-body.js';

const notFound = (name: string) =>
  new GatewayError('TOOLSET_NOT_FOUND', `No toolset '${name.slice(0, 64)}'.`);

export function registerToolsetRoutes(app: Hono, deps: AppDeps): void {
  app.get('/toolsets', (c) => c.json({ toolsets: deps.toolsets.list() }));
  app.get('/toolsets/:name', (c) => {
    const view = deps.toolsets.view(c.req.param('name'));
    if (!view) throw notFound(c.req.param('name'));
    return c.json(view);
  });
  app.put('/toolsets/:name', async (c) => {
    adminOnly(c, 'Defining toolsets is');
    const name = c.req.param('name');
    const toolset = parseToolset(name, await readRequestJson(c, deps.config.request.maxBodyBytes));
    const existed = deps.toolsets.view(name) !== undefined;
    const view = await deps.toolsets.put(toolset, c.get('principal').id);
    deps.audit.record({
      type: 'toolset.change',
      principal: c.get('principal').id,
      outcome: existed ? 'replaced' : 'created',
      detail: `${name}: ${toolset.servers.map((s) => `${s.alias}=${s.package}`).join(', ')}`.slice(0, 300),
    });
    return c.json(view, existed ? 200 : 201);
  });
  app.delete('/toolsets/:name', (c) => {
    adminOnly(c, 'Removing toolsets is');
    const name = c.req.param('name');
    if (!deps.toolsets.delete(name)) throw notFound(name);
    deps.audit.record({
      type: 'toolset.change',
      principal: c.get('principal').id,
      outcome: 'deleted',
      detail: name,
    });
    return c.json({ success: true, name, status: 'deleted' });
  });
}
