/**
 * @module Toolsets, defined by admins: `PUT /toolsets/{name}` (the whole definition: servers under
 * aliases, their parameters, which tools, who may use it), `GET /toolsets` and `GET /toolsets/{name}`
 * (parameter values masked, for the callers it is open to: what a toolset serves is no secret to them,
 * its parameters are), `DELETE /toolsets/{name}`. A parameter sent as `***` keeps its stored value.
 * Changes are audited and end the toolset's sessions here (their clients start again with the new
 * definition). Parameters are stored sealed (toolset-store.ts).
 */
import type { Hono } from 'hono';
import { keepStoredValues, parseToolset, toolsetOpensTo } from '../../policy/toolset-definition.js';
import { adminOnly } from '../admin-only.js';
import type { AppDeps } from '../app-deps.js';
import { readRequestJson } from '../json-body.js';
import { loadToolset, toolsetNotFound, visibleToolset } from '../toolset-serving.js';

/** Sessions of a toolset end when it changes: their clients start again with what it is now. */
const endSessionsOf = (deps: AppDeps, name: string, why: string) =>
  deps.sessions.endWhere((s) => s.packageName === `toolset:${name}`, why);

export function registerToolsetRoutes(app: Hono, deps: AppDeps): void {
  app.get('/toolsets', (c) =>
    c.json({
      toolsets: deps.toolsets.list().filter((t) => toolsetOpensTo(t.principals, c.get('principal'))),
    }),
  );
  app.get('/toolsets/:name', (c) => c.json(visibleToolset(deps, c.req.param('name'), c.get('principal'))));
  app.put('/toolsets/:name', async (c) => {
    adminOnly(c, 'Defining toolsets is');
    const name = c.req.param('name');
    const parsed = parseToolset(name, await readRequestJson(c, deps.config.request.maxBodyBytes));
    const existed = deps.toolsets.view(name) !== undefined;
    const toolset = keepStoredValues(parsed, existed ? loadToolset(deps, name) : undefined);
    const view = await deps.toolsets.put(toolset, c.get('principal').id);
    if (existed) await endSessionsOf(deps, name, 'its toolset was changed');
    deps.audit.record({
      type: 'toolset.change',
      principal: c.get('principal').id,
      outcome: existed ? 'replaced' : 'created',
      detail: `${name}: ${toolset.servers.map((s) => `${s.alias}=${s.package}`).join(', ')}`.slice(0, 300),
    });
    return c.json(view, existed ? 200 : 201);
  });
  app.delete('/toolsets/:name', async (c) => {
    adminOnly(c, 'Removing toolsets is');
    const name = c.req.param('name');
    if (!deps.toolsets.delete(name)) throw toolsetNotFound(name);
    await endSessionsOf(deps, name, 'its toolset was removed');
    deps.audit.record({
      type: 'toolset.change',
      principal: c.get('principal').id,
      outcome: 'deleted',
      detail: name,
    });
    return c.json({ success: true, name, status: 'deleted' });
  });
}
