/**
 * @module Several PyPI indexes searched as one, the way pip treats `--index-url` plus `--extra-index-url`:
 * the versions of a project are the union of what every index lists. An index that cannot be reached is
 * skipped (pip warns and goes on) as long as another one answered; only when none answers is the
 * registry unavailable.
 */
import { GatewayError } from '../errors/gateway-error.js';
import { latestPypiVersion, type PypiRegistryClient } from './pypi-registry-client.js';
import type { DistFile } from './pypi-simple-index.js';
import type { PackageMetadata, RegistryClient, VersionDetails } from './types.js';

/** How long an index that could not be reached is left out of installs, ms. */
const UNREACHABLE_FOR_MS = 5 * 60_000;

export class PypiIndexes implements RegistryClient {
  readonly kind = 'pypi' as const;
  /** Index URL -> when it last could not be reached. */
  private readonly unreachable = new Map<string, number>();

  constructor(
    private readonly indexes: readonly PypiRegistryClient[],
    private readonly now: () => number = Date.now,
  ) {
    if (indexes.length === 0) throw new Error('PypiIndexes needs at least one index');
  }

  /** Every index searched, in order (errors and answers show them). */
  get baseUrl(): string {
    return this.indexes.map((i) => i.baseUrl).join(' + ');
  }

  /**
   * The index URLs installers get (`--index-url` first, then `--extra-index-url`), leaving out those that
   * could not be reached lately: pip would retry each of them five times for every dependency (minutes,
   * with pypi.org out of reach), where the answering indexes alone take seconds.
   */
  installUrls(): string[] {
    const now = this.now();
    const live = this.indexes
      .map((i) => i.baseUrl)
      .filter((u) => now - (this.unreachable.get(u) ?? -Infinity) > UNREACHABLE_FOR_MS);
    return live.length > 0 ? live : this.indexes.map((i) => i.baseUrl);
  }

  async fetchMetadata(name: string): Promise<PackageMetadata | null> {
    const settled = await Promise.allSettled(this.indexes.map((i) => i.fetchMetadata(name)));
    settled.forEach((s, n) => {
      const url = (this.indexes[n] as PypiRegistryClient).baseUrl;
      if (s.status === 'rejected') this.unreachable.set(url, this.now());
      else this.unreachable.delete(url);
    });
    const found = settled.flatMap((s) => (s.status === 'fulfilled' && s.value ? [s.value] : []));
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    if (found.length === 0) {
      if (failures.length === 0) return null; // every index answered: it is nowhere
      // One that could not be reached may have it: not found is not the answer (pip would fail too).
      const unreachable = settled.flatMap((s, n) =>
        s.status === 'rejected' ? [(this.indexes[n] as PypiRegistryClient).baseUrl] : [],
      );
      const answered = this.indexes.map((i) => i.baseUrl).filter((u) => !unreachable.includes(u));
      throw new GatewayError(
        'INDEX_UNREACHABLE',
        `the PyPI index ${unreachable.join(', ')} could not be reached (${(failures[0] as Error).message.slice(0, 200)})${answered.length ? `; ${answered.join(', ')} answered that it has no '${name}'` : ''}.`,
        { unreachable, ...(answered.length ? { answered } : {}) },
        { cause: failures[0] },
      );
    }
    return found.length === 1 ? (found[0] as PackageMetadata) : merge(found);
  }

  /**
   * A file as the first index that lists it with that hash does (installers take a file from any of
   * them; one listing another file under the name is passed over).
   */
  async distFile(name: string, filename: string, sha256?: string): Promise<DistFile | undefined> {
    for (const index of this.indexes) {
      const file = await index.distFile(name, filename).catch(() => undefined);
      if (file && (!sha256 || !file.sha256 || file.sha256 === sha256)) return file;
    }
    return undefined;
  }

  /** File URLs in the metadata are absolute, so any index's client can read the details. */
  fetchVersionDetails(meta: PackageMetadata, version: string): Promise<VersionDetails> {
    return (this.indexes[0] as PypiRegistryClient).fetchVersionDetails(meta, version);
  }

  async suggest(): Promise<string[]> {
    return [];
  }
}

/** The union of what several indexes list; the first index that has a version supplies its file. */
function merge(found: PackageMetadata[]): PackageMetadata {
  const versions = [...new Set(found.flatMap((m) => m.versions))];
  // Yanked only where every index that lists the version yanked it.
  const yanked = versions.filter((v) => found.every((m) => !m.versions.includes(v) || m.yanked.includes(v)));
  const releaseTimes: Record<string, string> = {};
  const fileUrls: NonNullable<PackageMetadata['fileUrls']> = {};
  for (const m of found) {
    for (const [v, t] of Object.entries(m.releaseTimes))
      if (!releaseTimes[v] || t < (releaseTimes[v] as string)) releaseTimes[v] = t;
    for (const [v, f] of Object.entries(m.fileUrls ?? {})) fileUrls[v] ??= f;
  }
  const latest = latestPypiVersion(versions, yanked);
  const description = found.find((m) => m.description)?.description;
  return {
    registry: 'pypi',
    name: (found[0] as PackageMetadata).name,
    versions,
    distTags: latest ? { latest } : {},
    yanked,
    releaseTimes,
    fileUrls,
    ...(description ? { description } : {}),
  };
}
