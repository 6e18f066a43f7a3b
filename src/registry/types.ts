/** @module Types shared by the npm and PyPI registry clients. */
import type { RegistryKind } from '../spec/package-spec.js';

/** What a registry knows about a package, enough to resolve a version. */
export interface PackageMetadata {
  registry: RegistryKind;
  /** The name as the registry spells it. */
  name: string;
  /** Every published version. */
  versions: string[];
  /** npm dist-tags; for PyPI `latest` is computed. */
  distTags: Record<string, string>;
  /** PyPI versions whose every file is yanked (PEP 592). */
  yanked: string[];
  /** Release time per version when the registry says it (ISO 8601). */
  releaseTimes: Record<string, string>;
  /** npm: last change of the package document (ISO 8601), a stand-in for the newest release time. */
  modified?: string;
  /** Package-level description when the registry gives it cheaply. */
  description?: string;
  /** npm: bins of each version (from the abbreviated packument). */
  bins?: Record<string, Record<string, string> | undefined>;
  /** PyPI: URL of one distribution file per version (for details lookups). */
  fileUrls?: Record<string, { url: string; hasMetadata: boolean }>;
}

/** Facts about one version that quality checks need and that may cost another request. */
export interface VersionDetails {
  /** '' when the index says there is none; undefined when it cannot tell (no metadata). */
  description?: string;
  releaseTime?: string;
}

/** A package registry. Implementations: npm (registry API) and PyPI (JSON API or simple index). */
export interface RegistryClient {
  readonly kind: RegistryKind;
  /** The base URL this client reads from (shown in errors). */
  readonly baseUrl: string;
  /**
   * Metadata for `name`, or null when the registry does not have it.
   * @throws GatewayError REGISTRY_UNAVAILABLE when the registry cannot be reached or answers garbage.
   */
  fetchMetadata(name: string): Promise<PackageMetadata | null>;
  /** Details of one version (description, release time); best effort, never throws. */
  fetchVersionDetails(meta: PackageMetadata, version: string): Promise<VersionDetails>;
  /** Names close to `name`, where the registry offers a cheap search; best effort. */
  suggest(name: string): Promise<string[]>;
}
