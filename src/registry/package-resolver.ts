/**
 * @module Finds a package (npm first, then PyPI), resolves the exact version and runs the quality
 * checks, with metadata cached for a TTL. Nothing here installs or runs anything.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../observability/logger.js';
import { selectEntryPoint } from '../spec/entry-point.js';
import { candidateRegistries, type PackageSpec, type RegistryKind } from '../spec/package-spec.js';
import type { NpmDownloadsClient } from './npm-downloads-client.js';
import {
  checkNpmQuality,
  checkPypiQuality,
  type QualityReport,
  type QualitySettings,
} from './quality-check.js';
import { TtlCache } from './ttl-cache.js';
import type { PackageMetadata, RegistryClient } from './types.js';
import { resolveVersion } from './version-resolution.js';

/** A package ready to install: registry, exact version and the quality verdict. */
export interface ResolvedPackage {
  registry: RegistryKind;
  name: string;
  version: string;
  /** The version spec the user asked for. */
  requested: string;
  quality: QualityReport;
  /** Newest release of the package (ISO 8601), when the registry says. */
  lastRelease?: string;
}

export interface PackageResolverDeps {
  clients: Readonly<Record<RegistryKind, RegistryClient>>;
  downloads: NpmDownloadsClient;
  quality: QualitySettings;
  cacheTtlMs: number;
  logger: Logger;
  now?: () => number;
}

/** The newest known release time of a package (release times, else npm's `modified`). */
export function lastRelease(meta: PackageMetadata): string | undefined {
  const times = Object.entries(meta.releaseTimes)
    .filter(([v]) => v !== 'created' && v !== 'modified')
    .map(([, t]) => Date.parse(t))
    .filter((t) => !Number.isNaN(t));
  if (times.length > 0) return new Date(Math.max(...times)).toISOString();
  return meta.modified && !Number.isNaN(Date.parse(meta.modified))
    ? new Date(meta.modified).toISOString()
    : undefined;
}

export class PackageResolver {
  private readonly metadata: TtlCache<PackageMetadata | null>;
  private readonly qualityCache: TtlCache<QualityReport>;
  private readonly now: () => number;

  constructor(private readonly deps: PackageResolverDeps) {
    this.now = deps.now ?? Date.now;
    this.metadata = new TtlCache(deps.cacheTtlMs, this.now);
    this.qualityCache = new TtlCache(deps.cacheTtlMs, this.now);
  }

  /** Metadata of `name` in one registry, cached (not-found answers too). */
  lookup(kind: RegistryKind, name: string): Promise<PackageMetadata | null> {
    return this.metadata.get(`${kind}:${name}`, () => this.deps.clients[kind].fetchMetadata(name));
  }

  /**
   * Resolves `spec` to an exact, quality-checked version.
   * @throws GatewayError PACKAGE_NOT_FOUND, VERSION_NOT_FOUND, INVALID_VERSION_SPEC, QUALITY_CHECK_FAILED,
   *   PACKAGE_NOT_RUNNABLE (npm without bin), REGISTRY_UNAVAILABLE.
   */
  async resolve(spec: PackageSpec): Promise<ResolvedPackage> {
    const kinds = candidateRegistries(spec);
    const missedIn: RegistryKind[] = [];
    for (const kind of kinds) {
      const meta = await this.lookupAfter(kind, spec.name, missedIn);
      if (!meta) {
        missedIn.push(kind);
        continue;
      }
      const version = resolveVersion(meta, spec.version);
      if (meta.registry === 'npm') selectEntryPoint(meta.name, meta.bins?.[version], 'bin');
      const quality = await this.checkQuality(meta, version);
      if (!quality.checked)
        this.deps.logger.warn(
          { package: meta.name, version, reason: quality.reason },
          'quality check skipped; package allowed',
        );
      const last = lastRelease(meta);
      return {
        registry: meta.registry,
        name: meta.name,
        version,
        requested: spec.version,
        quality,
        ...(last ? { lastRelease: last } : {}),
      };
    }
    throw await this.notFound(spec, kinds);
  }

  /** A lookup that explains, when it fails, that the earlier registries did not have the package. */
  private async lookupAfter(
    kind: RegistryKind,
    name: string,
    missedIn: RegistryKind[],
  ): Promise<PackageMetadata | null> {
    try {
      return await this.lookup(kind, name);
    } catch (err) {
      if (!(err instanceof GatewayError) || missedIn.length === 0) throw err;
      const label = (k: RegistryKind) => (k === 'npm' ? 'npm' : 'PyPI');
      if (err.code === 'INDEX_UNREACHABLE')
        throw new GatewayError(
          'INDEX_UNREACHABLE',
          `Package '${name}' was not found on ${missedIn.map(label).join(', ')}, and ${err.message}`,
          err.details,
          { cause: err },
        );
      throw new GatewayError(
        'REGISTRY_UNAVAILABLE',
        `Package '${name}' was not found on ${missedIn.map(label).join(', ')}, and ${label(kind)} could not be reached to look there (${err.message})`,
        { registry: this.deps.clients[kind].baseUrl },
        { cause: err },
      );
    }
  }

  private checkQuality(meta: PackageMetadata, version: string): Promise<QualityReport> {
    const key = `${meta.registry}:${meta.name}:${version}`;
    return this.qualityCache.get(key, async () => {
      if (meta.registry === 'npm') return checkNpmQuality(meta.name, this.deps.downloads, this.deps.quality);
      const newest = meta.distTags.latest ?? version;
      const details = await this.deps.clients.pypi.fetchVersionDetails(meta, newest);
      return checkPypiQuality(meta, version, details, this.deps.quality, this.now());
    });
  }

  private async notFound(spec: PackageSpec, kinds: RegistryKind[]): Promise<GatewayError> {
    const closest = (await Promise.all(kinds.map((k) => this.deps.clients[k].suggest(spec.name))))
      .flat()
      .slice(0, 5);
    const searched = kinds.map((k) => `${k === 'npm' ? 'npm' : 'PyPI'} (${this.deps.clients[k].baseUrl})`);
    const where =
      kinds.length === 2 ? 'npm or PyPI registries' : `the ${kinds[0] === 'npm' ? 'npm' : 'PyPI'} registry`;
    return new GatewayError('PACKAGE_NOT_FOUND', `Package '${spec.name}' was not found in ${where}.`, {
      packageName: spec.name,
      searched,
      closest,
    });
  }
}
