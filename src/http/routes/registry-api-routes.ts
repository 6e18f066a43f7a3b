/**
 * @module The MCP Registry API, read side (`/v0.1/servers`, `/v0.1/servers/{name}/versions[/{version}]`),
 * for what this gateway serves: registry clients (VS Code's MCP gallery, aggregators) discover its
 * servers there. Web pages read it only from origins in REGISTRY_API_CORS (it names installed packages and
 * their settings); with API keys configured it needs a key like every other route, and each entry's
 * remotes ask for an Authorization header.
 */
import type { Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { type CatalogPackage, catalog, listPage, type ServerResponse } from '../../catalog/server-entries.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { compileOrigins } from '../../policy/origin-check.js';
import { canAccess } from '../../policy/principal.js';
import type { AppDeps } from '../app-deps.js';

/** The configuration names clients used with each installed version (from the processes the caller may see). */
function settingsByStoreKey(c: Context, deps: AppDeps): Map<string, CatalogPackage['settings']> {
  const out = new Map<string, CatalogPackage['settings']>();
  for (const { meta } of deps.processes.list()) {
    if (!canAccess(c.get('principal'), meta.owner)) continue;
    const seen = new Map((out.get(meta.storeKey) ?? []).map((s) => [s.name, s]));
    for (const [name, value] of Object.entries(meta.connectionInfo.env))
      seen.set(name, { name, secret: value === '***' || seen.get(name)?.secret === true });
    out.set(
      meta.storeKey,
      [...seen.values()].sort((a, b) => a.name.localeCompare(b.name)),
    );
  }
  return out;
}

async function entries(c: Context, deps: AppDeps): Promise<ServerResponse[]> {
  const settings = settingsByStoreKey(c, deps);
  const running = new Set(deps.processes.list().map((p) => p.meta.storeKey));
  const installed = await deps.store.list();
  const pypiBase = deps.config.registry.pypiIndexUrl.replace(/\/simple\/?$/, '');
  return catalog(
    installed.map((p) => ({
      registry: p.registry,
      name: p.name,
      version: p.version,
      installedAt: p.installedAt,
      settings: settings.get(p.key) ?? [],
      running: running.has(p.key),
      ...(p.supplyChain ? { supplyChain: p.supplyChain } : {}),
    })),
    {
      base: deps.config.http.publicUrl ?? new URL(c.req.url).origin,
      registryBaseUrls: { npm: deps.config.registry.npmUrl, pypi: pypiBase },
      keysRequired: deps.auth.keys.size > 0 || deps.auth.oauth !== undefined,
    },
  );
}

function invalid(parameter: string, message: string): GatewayError {
  return new GatewayError('INVALID_PARAMETER', `Invalid parameter: ${message}`, { parameter });
}

const notFound = (name: string, version?: string) =>
  new GatewayError(
    'SERVER_NOT_FOUND',
    version
      ? `No version '${version.slice(0, 80)}' of server '${name.slice(0, 200)}' here.`
      : `No server '${name.slice(0, 200)}' here.`,
  );

export function registerRegistryApiRoutes(app: Hono, deps: AppDeps): void {
  // Pages on REGISTRY_API_CORS origins may read it (access control refused every other page already).
  const cors_ = deps.config.http.registryApiCors;
  const listed = compileOrigins(cors_);
  app.use(
    '/v0.1/*',
    cors({
      origin: (origin) => (cors_.includes('*') ? '*' : listed.some((re) => re.test(origin)) ? origin : null),
      allowMethods: ['GET', 'OPTIONS'],
      maxAge: 600,
    }),
  );

  app.get('/v0.1/servers', async (c) => {
    const limitRaw = c.req.query('limit');
    const limit = limitRaw === undefined ? undefined : Number(limitRaw);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
      throw invalid('limit', 'limit must be a positive integer');
    const updatedSince = c.req.query('updated_since');
    if (updatedSince !== undefined && Number.isNaN(Date.parse(updatedSince)))
      throw invalid('updated_since', 'updated_since must be an RFC 3339 date-time');
    const page = listPage(await entries(c, deps), {
      cursor: c.req.query('cursor'),
      limit,
      search: c.req.query('search'),
      updatedSince,
      version: c.req.query('version'),
    });
    if (!page) throw invalid('cursor', 'the cursor is unknown or stale; start again without one');
    return c.json(page);
  });

  app.get('/v0.1/servers/:serverName/versions', async (c) => {
    const name = c.req.param('serverName');
    const servers = (await entries(c, deps)).filter((e) => e.server.name === name);
    if (servers.length === 0) throw notFound(name);
    return c.json({ servers, metadata: { count: servers.length } });
  });

  app.get('/v0.1/servers/:serverName/versions/:version', async (c) => {
    const name = c.req.param('serverName');
    const version = c.req.param('version');
    const versions = (await entries(c, deps)).filter((e) => e.server.name === name);
    const found = version === 'latest' ? versions[0] : versions.find((e) => e.server.version === version);
    if (!found) throw notFound(name, version);
    return c.json(found);
  });
}
