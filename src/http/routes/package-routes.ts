/** @module GET /package/{spec}/{protocol}: thin route over the PackageLauncher. */
import type { Hono } from 'hono';
import { GatewayError } from '../../errors/gateway-error.js';
import { parsePackagePath } from '../../spec/request-path.js';
import type { AppDeps } from '../app-deps.js';

const PREFIX = '/package/';

/** The raw (still percent-encoded) path and the query pairs of a request URL. */
function rawParts(url: string): { path: string; pairs: Array<[string, string]> } {
  const u = new URL(url);
  return { path: u.pathname, pairs: [...u.searchParams.entries()] };
}

export function registerPackageRoutes(app: Hono, deps: AppDeps): void {
  app.get('/package/*', async (c) => {
    const { path, pairs } = rawParts(c.req.url);
    const route = parsePackagePath(path.slice(PREFIX.length));
    try {
      const answer = await deps.launcher.launch(route, pairs);
      deps.metrics.launches.inc({
        registry: answer.packageType,
        outcome: answer.reused ? 'reused' : 'started',
      });
      return c.json(answer);
    } catch (err) {
      deps.metrics.launches.inc({
        registry: 'unknown',
        outcome: err instanceof GatewayError ? err.code : 'INTERNAL_ERROR',
      });
      throw err;
    }
  });
  app.all('/package/*', () => {
    throw new GatewayError('METHOD_NOT_ALLOWED', 'Package URLs answer GET.', { allowed: ['GET'] });
  });
}
