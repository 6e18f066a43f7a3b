/**
 * @module GET and PUT /permissions (admins): the per-principal tool permissions (docs/access-and-trust.md, "Tool
 * permissions"). A PUT replaces the rules at once for every session (each port's guard follows at its
 * next request) and writes them to TOOL_PERMISSIONS_FILE when set (atomically: a temporary file
 * renamed), so they survive a restart.
 */

import type { Hono } from 'hono';
import { GatewayError } from '../../errors/gateway-error.js';
import { PatternError } from '../../policy/package-pattern.js';
import { PermissionsSchema } from '../../policy/tool-permissions.js';
import { writeFileAtomic } from '../../process/atomic-file.js';
import { adminOnly } from '../admin-only.js';
import type { AppDeps } from '../app-deps.js';
import { readRequestJson } from '../json-body.js';

export function registerPermissionRoutes(app: Hono, deps: AppDeps): void {
  const file = deps.config.permissions.file;
  app.get('/permissions', (c) => {
    adminOnly(c, 'Tool permissions are');
    return c.json({ ...deps.permissions.document, file: file ?? null });
  });
  app.put('/permissions', async (c) => {
    adminOnly(c, 'Tool permissions are');
    const parsed = PermissionsSchema.safeParse(await readRequestJson(c, deps.config.request.maxBodyBytes));
    if (!parsed.success)
      throw new GatewayError(
        'MALFORMED_REQUEST',
        `Invalid permissions: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`.slice(
          0,
          1000,
        ),
        { part: 'body' },
      );
    try {
      deps.permissions.replace(parsed.data);
    } catch (err) {
      if (err instanceof PatternError)
        throw new GatewayError('MALFORMED_REQUEST', err.message, { part: 'body' });
      throw err;
    }
    if (file) {
      await writeFileAtomic(file, `${JSON.stringify(parsed.data, null, 2)}\n`);
    }
    deps.audit.record({
      type: 'permissions.change',
      principal: c.get('principal').id,
      detail: `${parsed.data.rules.length} rules`,
    });
    return c.json({ ...deps.permissions.document, file: file ?? null });
  });
}
