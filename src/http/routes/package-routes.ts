/** @module /package/{spec}/{protocol}: thin routes over the PackageLauncher (stdio) and the MCP endpoint (mcp). */
import type { Context, Hono } from 'hono';
import { clientConfigs, packageEndpoint } from '../../catalog/client-configs.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { type McpCaller, serveMcp, serveSse, sessionMode } from '../../front/mcp-endpoint.js';
import { packageServed } from '../../front/served.js';
import type { LaunchAnswer, LaunchStep } from '../../launch/package-launcher.js';
import { parsePackagePath } from '../../spec/request-path.js';
import { type AppDeps, mcpEndpointDeps } from '../app-deps.js';
import { retryFromContext } from '../cluster-routing.js';
import { connectionInfoFor } from '../connection-view.js';
import { mcpCors } from '../mcp-cors.js';
import { requestConfig } from '../request-config.js';
import { webCall } from '../web-call.js';
import { streamLaunch, wantsProgress } from './launch-progress.js';

const PREFIX = '/package/';

/** The raw (still percent-encoded) path and the query pairs of a request URL. */
function rawParts(url: string): { path: string; pairs: Array<[string, string]> } {
  const u = new URL(url);
  return { path: u.pathname, pairs: [...u.searchParams.entries()] };
}

/**
 * Ready-to-use URLs and client configurations for a launched package: placeholders stand for secrets
 * and, with API keys on, for the key (`Authorization: Bearer <GATEWAY_API_KEY>`). `clientConfig` is
 * the `mcpServers` form (Cursor); `clients` holds every client's.
 */
function connectDetails(answer: LaunchAnswer, base: string, keysRequired: boolean) {
  const spec = `${answer.packageName}@${answer.version}`;
  const clients = clientConfigs(
    packageEndpoint({ ...answer, env: answer.connectionInfo.env }, base, keysRequired),
  );
  return {
    endpoints: {
      mcp: `${base}${PREFIX}${spec}/mcp`,
      sse: `${base}${PREFIX}${spec}/sse`,
      stdio: `${base}${PREFIX}${spec}/stdio`,
    },
    clientConfig: clients.cursor,
    clients,
  };
}

export function registerPackageRoutes(app: Hono, deps: AppDeps): void {
  app.use('/package/*', mcpCors(deps.config.http.allowedOrigins));

  const endpoint = mcpEndpointDeps(deps);

  const handle = async (c: Context) => {
    const { path, pairs } = rawParts(c.req.url);
    const route = parsePackagePath(path.slice(PREFIX.length));
    // A mode nobody serves is refused on every protocol (stdio and stateless requests ignore it otherwise).
    const mode = sessionMode(pairs, c.req.header('x-mcp-mode'));
    if (route.protocol !== 'stdio') {
      const config = requestConfig(c, pairs);
      const principal = config.caller.principal;
      const who: McpCaller = {
        principal,
        mode,
        served: packageServed(
          principal,
          (run) => deps.launcher.prepare(route, config, run),
          () =>
            `${principal.id}\n${principal.role}\n${path}?${new URL(c.req.url).search}\n${JSON.stringify(config.headers)}`,
          endpoint,
        ),
        toOwner: (body) => retryFromContext(c, deps.cluster, body),
      };
      const { call, response } = webCall(c);
      if (route.protocol === 'mcp') await serveMcp(call, who, endpoint);
      else await serveSse(call, pairs.find(([k]) => k === 'sessionId')?.[1], who, endpoint);
      return response;
    }
    if (c.req.method !== 'GET')
      throw new GatewayError('METHOD_NOT_ALLOWED', 'stdio package URLs answer GET.', { allowed: ['GET'] });
    const base = deps.config.http.publicUrl ?? new URL(c.req.url).origin;
    const launch = async (progress?: (step: LaunchStep) => void) => {
      const answer = await deps.launcher.launch(route, {
        ...requestConfig(c, pairs),
        ...(progress ? { progress } : {}),
      });
      deps.metrics.launches.inc({
        registry: answer.packageType,
        outcome: answer.reused ? 'reused' : 'started',
      });
      const admin = c.get('principal').role === 'admin';
      const connectionInfo = connectionInfoFor(answer.connectionInfo, admin, deps.config.store.dir);
      return { ...answer, connectionInfo, ...connectDetails(answer, base, deps.auth.keys.size > 0) };
    };
    const failed = (err: unknown) =>
      deps.metrics.launches.inc({
        registry: 'unknown',
        outcome: err instanceof GatewayError ? err.code : 'INTERNAL_ERROR',
      });
    if (wantsProgress(c))
      return streamLaunch(c, launch, (err, status) => {
        failed(err);
        if (status >= 500) deps.logger.error({ err: (err as Error).message }, 'launch failed');
      });
    try {
      return c.json(await launch());
    } catch (err) {
      failed(err);
      throw err;
    }
  };
  app.on(['GET', 'POST', 'DELETE', 'PUT', 'PATCH'], '/package/*', handle);
}
