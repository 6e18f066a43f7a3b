/**
 * @module What this gateway serves, as MCP Registry API entries (pure): one `server.json` document per
 * installed package version (schema 2025-12-11, registry API v0.1 `ServerResponse`), naming the npm or
 * PyPI package in `packages[]` and this gateway's `/package/…/mcp` and `/sse` URLs in `remotes[]`, with the
 * configuration clients have used expressed as `X-MCP-Env-*` headers (`isSecret` where secret). Listing
 * follows the API: name order, opaque cursors, `limit`, `search`, `updated_since`, `version=latest`.
 */
import semver from 'semver';
import type { SupplyChain } from '../registry/supply-chain.js';

export const SERVER_SCHEMA = 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json';
/** The `_meta` key of what this gateway adds to an entry. */
export const GATEWAY_META = 'io.github.mcp-registry-server/gateway';

/** An installed package version as the catalog needs it. */
export interface CatalogPackage {
  registry: 'npm' | 'pypi';
  name: string;
  version: string;
  installedAt: string;
  /** Configuration names clients used with it (from running processes), with whether each is secret. */
  settings: Array<{ name: string; secret: boolean }>;
  running: boolean;
  /** What the supply-chain check found at install. */
  supplyChain?: SupplyChain;
}

export interface CatalogOptions {
  /** Base URL clients use to reach the gateway. */
  base: string;
  registryBaseUrls: { npm: string; pypi: string };
  /** API keys are configured: remotes need an Authorization header. */
  keysRequired: boolean;
}

/**
 * The registry name of a package: reverse DNS of where it comes from, then the package name.
 * `firecrawl-mcp` → `com.npmjs/firecrawl-mcp`, `@supabase/mcp-server-supabase` →
 * `com.npmjs.supabase/mcp-server-supabase`, PyPI `mcp-server-time` → `org.pypi/mcp-server-time`.
 */
export function serverName(registry: 'npm' | 'pypi', name: string): string {
  const clean = (s: string, allowed: RegExp) => s.replace(allowed, '-');
  if (registry === 'pypi') return `org.pypi/${clean(name, /[^a-zA-Z0-9._-]/g)}`;
  const scoped = /^@([^/]+)\/(.+)$/.exec(name);
  if (!scoped) return `com.npmjs/${clean(name, /[^a-zA-Z0-9._-]/g)}`;
  return `com.npmjs.${clean(scoped[1] as string, /[^a-zA-Z0-9-]/g)}/${clean(scoped[2] as string, /[^a-zA-Z0-9._-]/g)}`;
}

const DESCRIPTION_MAX = 100;

export interface ServerResponse {
  server: Record<string, unknown>;
  _meta: Record<string, unknown>;
}

/** The entry of one package version; `isLatest` when it is the newest installed version of its name. */
export function serverEntry(p: CatalogPackage, isLatest: boolean, o: CatalogOptions): ServerResponse {
  const spec = `${p.registry === 'pypi' ? 'pypi:' : ''}${p.name}@${p.version}`;
  const headers = [
    ...(o.keysRequired
      ? [
          {
            name: 'Authorization',
            description: 'Bearer followed by an API key of this gateway',
            isRequired: true,
            isSecret: true,
          },
        ]
      : []),
    ...p.settings.map((s) => ({
      name: `X-MCP-Env-${s.name}`,
      description: `Sets ${s.name} in the server's environment`,
      isSecret: s.secret,
    })),
  ];
  const remote = (type: 'streamable-http' | 'sse', path: string) => ({
    type,
    url: `${o.base}/package/${spec}/${path}`,
    ...(headers.length > 0 ? { headers } : {}),
  });
  return {
    server: {
      $schema: SERVER_SCHEMA,
      name: serverName(p.registry, p.name),
      description: `${p.name} (${p.registry}), served over HTTP by this gateway`.slice(0, DESCRIPTION_MAX),
      title: p.name.slice(0, DESCRIPTION_MAX),
      version: p.version,
      packages: [
        {
          registryType: p.registry,
          registryBaseUrl: o.registryBaseUrls[p.registry],
          identifier: p.name,
          version: p.version,
          transport: { type: 'stdio' },
        },
      ],
      remotes: [remote('streamable-http', 'mcp'), remote('sse', 'sse')],
    },
    _meta: {
      [GATEWAY_META]: {
        installedAt: p.installedAt,
        running: p.running,
        isLatest,
        // What the gateway verified of the package before it ran (registry signatures of its tree).
        ...(p.supplyChain
          ? {
              supplyChain: {
                signatures: p.supplyChain.signatures,
                packages: p.supplyChain.packages,
                verified: p.supplyChain.verified,
                ...(p.supplyChain.reason ? { reason: p.supplyChain.reason } : {}),
                // Older store entries were checked before provenance was.
                ...(p.supplyChain.provenance ? { provenance: p.supplyChain.provenance } : {}),
              },
            }
          : {}),
      },
    },
  };
}

/** Newest first by semver where both parse, else by install time. */
function newerFirst(a: CatalogPackage, b: CatalogPackage): number {
  const va = semver.valid(a.version);
  const vb = semver.valid(b.version);
  if (va && vb) return semver.rcompare(va, vb);
  return b.installedAt.localeCompare(a.installedAt);
}

/** Every entry, in name order and newest version first, each marked latest or not. */
export function catalog(packages: CatalogPackage[], o: CatalogOptions): ServerResponse[] {
  const byName = new Map<string, CatalogPackage[]>();
  for (const p of packages) {
    const name = serverName(p.registry, p.name);
    byName.set(name, [...(byName.get(name) ?? []), p]);
  }
  return [...byName.keys()]
    .sort()
    .flatMap((name) => (byName.get(name) ?? []).sort(newerFirst).map((p, i) => serverEntry(p, i === 0, o)));
}

export interface ListQuery {
  cursor?: string | undefined;
  limit?: number | undefined;
  search?: string | undefined;
  updatedSince?: string | undefined;
  version?: string | undefined;
}

/**
 * One page: `servers` and `metadata` (`count`, and `nextCursor` when there is more); undefined when the
 * cursor names no entry (it is stale or made up).
 */
export function listPage(entries: ServerResponse[], q: ListQuery) {
  const limit = Math.min(Math.max(q.limit ?? 30, 1), 100);
  const since = q.updatedSince ? Date.parse(q.updatedSince) : undefined;
  const matches = entries.filter((e) => {
    const s = e.server as { name: string; version: string; packages: Array<{ identifier: string }> };
    const meta = e._meta[GATEWAY_META] as { installedAt: string; isLatest: boolean };
    if (q.search && !`${s.name} ${s.packages[0]?.identifier}`.toLowerCase().includes(q.search.toLowerCase()))
      return false;
    if (since !== undefined && Date.parse(meta.installedAt) < since) return false;
    if (q.version === 'latest') return meta.isLatest;
    return q.version === undefined || s.version === q.version;
  });
  const key = (e: ServerResponse) =>
    `${(e.server as { name: string }).name}@${(e.server as { version: string }).version}`;
  const after = q.cursor ? Buffer.from(q.cursor, 'base64url').toString('utf8') : undefined;
  const start = after === undefined ? 0 : matches.findIndex((e) => key(e) === after) + 1;
  if (start === 0 && after !== undefined) return undefined;
  const page = matches.slice(start, start + limit);
  const last = page.at(-1);
  const nextCursor =
    last && start + limit < matches.length ? Buffer.from(key(last), 'utf8').toString('base64url') : undefined;
  return { servers: page, metadata: { count: page.length, ...(nextCursor ? { nextCursor } : {}) } };
}
