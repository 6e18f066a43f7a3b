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
import { type McpCaller, serveMcp, serveSse, sessionMode } from '../../front/mcp-endpoint.js';
import { carrierOfHeaders } from '../../observability/tracing.js';
import { type AppDeps, mcpEndpointDeps } from '../app-deps.js';
import { retryFromContext } from '../cluster-routing.js';
import { mcpCors } from '../mcp-cors.js';
import { checkToolsetQuery, toolsetServedFor, visibleToolset } from '../toolset-serving.js';
import { webCall } from '../web-call.js';

export function registerToolsetMcpRoutes(app: Hono, deps: AppDeps): void {
  const endpoint = mcpEndpointDeps(deps);
  app.use('/toolsets/:name/mcp', mcpCors(deps.config.http.allowedOrigins));
  app.use('/toolsets/:name/sse', mcpCors(deps.config.http.allowedOrigins));

  const handle = (protocol: 'mcp' | 'sse') => async (c: Context) => {
    const name = c.req.param('name') ?? '';
    const pairs = [...new URL(c.req.url).searchParams.entries()];
    checkToolsetQuery(pairs);
    const who: McpCaller = {
      principal: c.get('principal'),
      mode: sessionMode(pairs, c.req.header('x-mcp-mode')),
      served: toolsetServedFor(
        deps,
        name,
        { principal: c.get('principal'), address: c.get('clientAddress') },
        () => carrierOfHeaders((h) => c.req.header(h)),
      ),
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
    visibleToolset(deps, name, c.get('principal'));
    const base = deps.config.http.publicUrl ?? new URL(c.req.url).origin;
    return c.json(clientConfigs(toolsetEndpoint(name, base, deps.auth.keys.size > 0)));
  });
}
