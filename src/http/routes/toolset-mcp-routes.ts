/**
 * @module `/toolsets/{name}/mcp` (Streamable HTTP: 2025 sessions and 2026-07-28 stateless requests) and
 * `/toolsets/{name}/sse` (legacy SSE): a toolset served as one MCP server to any caller that may use MCP
 * endpoints, each of its servers started as the caller's own (so the caller's tool permissions hold),
 * with the parameters stored in the toolset: the URL carries none, so clients carry no server keys.
 * `GET /toolsets/{name}/client-config` gives the client configurations for it. A toolset open to some
 * principals only (`principals`) looks unknown to the others. The toolset is read only
 * when something is started: a message in a session costs no read.
 */
import type { Context, Hono } from 'hono';
import { clientConfigs, toolsetEndpoint } from '../../catalog/client-configs.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { type McpCaller, serveMcp, serveSse, sessionMode } from '../../front/mcp-endpoint.js';
import type { Served } from '../../front/served.js';
import { toolsetServed } from '../../front/toolset-served.js';
import { carrierOfHeaders } from '../../observability/tracing.js';
import { type AppDeps, mcpEndpointDeps } from '../app-deps.js';
import { retryFromContext } from '../cluster-routing.js';
import { mcpCors } from '../mcp-cors.js';
import { webCall } from '../web-call.js';
import { loadToolset, visibleToolset } from './toolset-routes.js';

/** The query parameters a toolset endpoint takes; its servers' parameters are the toolset's own. */
const QUERY = new Set(['mode', 'sessionId']);

/** What serves a request on toolset `name`'s endpoint (read when a session or stateless request needs it). */
function servedBy(c: Context, deps: AppDeps, name: string): Served {
  const principal = c.get('principal');
  const caller = { principal, address: c.get('clientAddress') };
  const trace = carrierOfHeaders((h) => c.req.header(h));
  const build = () => {
    visibleToolset(c, deps, name); // a toolset not open to the caller looks unknown
    return toolsetServed(
      loadToolset(deps, name),
      principal,
      (server) => (run) =>
        deps.launcher.prepare(
          { spec: server.package, protocol: 'mcp' },
          { query: Object.entries(server.params), headers: [], trace, caller },
          run,
        ),
      {
        relays: deps.relays,
        guards: deps.guards,
        toolSearch: deps.config.toolsets.toolSearch,
        version: deps.config.server.version,
        logger: deps.logger,
      },
    );
  };
  return { session: (open) => build().session(open), stateless: () => build().stateless() };
}

export function registerToolsetMcpRoutes(app: Hono, deps: AppDeps): void {
  const endpoint = mcpEndpointDeps(deps);
  app.use('/toolsets/:name/mcp', mcpCors(deps.config.http.allowedOrigins));
  app.use('/toolsets/:name/sse', mcpCors(deps.config.http.allowedOrigins));

  const handle = (protocol: 'mcp' | 'sse') => async (c: Context) => {
    const name = c.req.param('name') ?? '';
    const pairs = [...new URL(c.req.url).searchParams.entries()];
    const extra = pairs.find(([k]) => !QUERY.has(k));
    if (extra)
      throw new GatewayError(
        'INVALID_PARAMETER',
        `Invalid parameter: '${extra[0].slice(0, 40)}' — a toolset's servers take their parameters from the toolset.`,
        { parameter: extra[0].slice(0, 40), validValues: [...QUERY] },
      );
    const who: McpCaller = {
      principal: c.get('principal'),
      mode: sessionMode(pairs, c.req.header('x-mcp-mode')),
      served: servedBy(c, deps, name),
      toOwner: (body) => retryFromContext(c, deps.cluster, body),
    };
    const { call, response } = webCall(c);
    if (protocol === 'mcp') await serveMcp(call, who, endpoint);
    else await serveSse(call, pairs.find(([k]) => k === 'sessionId')?.[1], who, endpoint);
    return response;
  };
  app.on(['GET', 'POST', 'DELETE', 'PUT', 'PATCH'], '/toolsets/:name/mcp', handle('mcp'));
  app.on(['GET', 'POST', 'DELETE', 'PUT', 'PATCH'], '/toolsets/:name/sse', handle('sse'));

  app.get('/toolsets/:name/client-config', (c) => {
    const name = c.req.param('name');
    visibleToolset(c, deps, name);
    const base = deps.config.http.publicUrl ?? new URL(c.req.url).origin;
    return c.json(clientConfigs(toolsetEndpoint(name, base, deps.auth.keys.size > 0)));
  });
}
