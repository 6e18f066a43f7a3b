/**
 * @module npm registry client: reads the abbreviated packument (`application/vnd.npm.install-v1+json`),
 * which is small and holds everything version resolution needs (versions, dist-tags, bins).
 * Works with the public registry and private ones (Verdaccio, Artifactory, GitHub Packages).
 */
import { type FetchFn, fetchDocument, fetchWithTimeout, readJson } from './http-fetch.js';
import type { PackageMetadata, RegistryClient, VersionDetails } from './types.js';

const ABBREVIATED = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8';

interface Packument {
  name?: string;
  'dist-tags'?: Record<string, string>;
  versions?: Record<string, { bin?: Record<string, string> | string; name?: string; description?: string }>;
  time?: Record<string, string>;
  /** Last change of the package document (the abbreviated packument has this instead of `time`). */
  modified?: string;
  description?: string;
}

/** Encodes a package name for a registry URL path: `@scope/name` -> `@scope%2fname`. */
export function encodeNpmName(name: string): string {
  return name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);
}

/** Normalises a package.json `bin` (a string means one bin named like the unscoped package). */
export function normaliseBin(
  name: string,
  bin: Record<string, string> | string | undefined,
): Record<string, string> | undefined {
  if (bin === undefined) return undefined;
  if (typeof bin === 'string') return { [name.replace(/^@[^/]+\//, '')]: bin };
  if (typeof bin !== 'object' || bin === null) return undefined;
  return Object.fromEntries(Object.entries(bin).filter(([, v]) => typeof v === 'string'));
}

export class NpmRegistryClient implements RegistryClient {
  readonly kind = 'npm' as const;

  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly fetchFn: FetchFn = fetch,
  ) {}

  async fetchMetadata(name: string): Promise<PackageMetadata | null> {
    const res = await fetchDocument(this.fetchFn, `${this.baseUrl}/${encodeNpmName(name)}`, {
      accept: ABBREVIATED,
      timeoutMs: this.timeoutMs,
      registry: 'npm',
      baseUrl: this.baseUrl,
    });
    if (!res) return null;
    const doc = (await readJson(res, 'npm')) as Packument;
    if (!doc || typeof doc !== 'object' || typeof doc.versions !== 'object' || doc.versions === null)
      return null;
    const versions = Object.keys(doc.versions);
    const bins: Record<string, Record<string, string> | undefined> = {};
    for (const [v, manifest] of Object.entries(doc.versions))
      bins[v] = normaliseBin(doc.name ?? name, manifest?.bin);
    return {
      registry: 'npm',
      name: doc.name ?? name,
      versions,
      distTags: doc['dist-tags'] ?? {},
      yanked: [],
      releaseTimes: doc.time ?? {},
      ...(typeof doc.modified === 'string' ? { modified: doc.modified } : {}),
      ...(doc.description ? { description: doc.description } : {}),
      bins,
    };
  }

  async fetchVersionDetails(meta: PackageMetadata, version: string): Promise<VersionDetails> {
    const releaseTime = meta.releaseTimes[version];
    return releaseTime ? { releaseTime } : {};
  }

  /** Closest names from the registry's search endpoint (`/-/v1/search`); empty on any failure. */
  async suggest(name: string): Promise<string[]> {
    try {
      const text = encodeURIComponent(name.replace(/^@[^/]+\//, ''));
      const res = await fetchWithTimeout(this.fetchFn, `${this.baseUrl}/-/v1/search?text=${text}&size=5`, {
        timeoutMs: Math.min(this.timeoutMs, 3000),
        registry: 'npm',
      });
      if (!res.ok) return [];
      const body = (await res.json()) as { objects?: Array<{ package?: { name?: string } }> };
      return (body.objects ?? [])
        .map((o) => o.package?.name)
        .filter((n): n is string => typeof n === 'string' && n !== name);
    } catch {
      return [];
    }
  }
}
