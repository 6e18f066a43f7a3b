/**
 * @module Version resolution (pure): npm dist-tags and semver ranges the way npm picks them
 * (prefer `latest` when it satisfies), PyPI PEP 440 specifiers with `^`/`~` translated to PEP 440 bounds.
 */
import {
  explain as pep440Explain,
  maxSatisfying as pep440MaxSatisfying,
  rcompare as pep440Rcompare,
  valid as pep440Valid,
  validRange as pep440ValidRange,
} from '@renovatebot/pep440';
import semver from 'semver';
import { GatewayError } from '../errors/gateway-error.js';
import { isDistTag } from '../spec/package-spec.js';
import type { PackageMetadata } from './types.js';

/** How many of the newest versions a VERSION_NOT_FOUND error lists. */
const LISTED_VERSIONS = 10;

function notFound(meta: PackageMetadata, spec: string, newest: string[]): GatewayError {
  return new GatewayError(
    'VERSION_NOT_FOUND',
    `Version '${spec}' does not exist for package '${meta.name}'. Newest versions: ${newest.slice(0, 5).join(', ') || 'none'}.`,
    { packageName: meta.name, version: spec, availableVersions: newest.slice(0, LISTED_VERSIONS) },
  );
}

function invalidSpec(spec: string, registry: string): GatewayError {
  return new GatewayError(
    'INVALID_VERSION_SPEC',
    `'${spec}' is not a valid ${registry} version, range or tag.`,
    { version: spec },
  );
}

/** The newest npm versions first (valid semver only). */
export function newestNpmVersions(meta: PackageMetadata): string[] {
  return meta.versions.filter((v) => semver.valid(v)).sort(semver.rcompare);
}

/** Resolves an npm version spec (dist-tag, exact version or range) to one published version. */
export function resolveNpmVersion(meta: PackageMetadata, spec: string): string {
  const tagged = meta.distTags[spec];
  if (tagged && meta.versions.includes(tagged)) return tagged;
  const exact = semver.valid(spec);
  if (exact) {
    if (meta.versions.includes(exact)) return exact;
    throw notFound(meta, spec, newestNpmVersions(meta));
  }
  if (semver.validRange(spec) !== null) {
    const latest = meta.distTags.latest;
    if (latest && semver.satisfies(latest, spec)) return latest;
    const best = semver.maxSatisfying(meta.versions, spec);
    if (best) return best;
    throw notFound(meta, spec, newestNpmVersions(meta));
  }
  if (isDistTag(spec)) throw notFound(meta, spec, newestNpmVersions(meta));
  throw invalidSpec(spec, 'npm');
}

/**
 * Translates npm-style caret and tilde ranges to PEP 440 (same meaning as npm):
 * `^1.2.3` -> `>=1.2.3,<2`, `^0.2.3` -> `>=0.2.3,<0.3`, `~1.2.3` -> `>=1.2.3,<1.3`, `~1` -> `>=1,<2`.
 * Other specs are returned unchanged.
 */
export function toPep440Specifier(spec: string): string {
  const m = /^([~^])\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$/.exec(spec.trim());
  if (!m) return spec;
  const [, op, maj, min, pat, rest] = m;
  const base = [maj, min, pat].filter((p) => p !== undefined).join('.') + (rest ?? '');
  const major = Number(maj);
  const minor = Number(min ?? 0);
  let upper: string;
  if (op === '~') upper = min === undefined ? `${major + 1}` : `${major}.${minor + 1}`;
  else if (major > 0 || min === undefined) upper = `${major + 1}`;
  else if (minor > 0 || pat === undefined) upper = `0.${minor + 1}`;
  else upper = `0.0.${Number(pat) + 1}`;
  return `>=${base},<${upper}`;
}

/** The newest PyPI versions first (valid PEP 440 only). */
export function newestPypiVersions(meta: PackageMetadata): string[] {
  return meta.versions.filter((v) => pep440Valid(v)).sort(pep440Rcompare);
}

/**
 * Resolves a PyPI spec: `latest`, an exact version (yanked allowed, as PEP 592 says for pins),
 * `^`/`~` ranges or a PEP 440 specifier set. Yanked and prerelease versions are skipped for ranges
 * unless the range names a prerelease.
 */
export function resolvePypiVersion(meta: PackageMetadata, spec: string): string {
  const newest = newestPypiVersions(meta);
  if (spec === 'latest') {
    const latest = meta.distTags.latest;
    if (latest) return latest;
    throw notFound(meta, spec, newest);
  }
  const bare =
    spec.startsWith('==') && !spec.includes('*') && !spec.includes(',') ? spec.slice(2).trim() : spec;
  if (pep440Valid(bare)) {
    const hit = meta.versions.find((v) => pep440Valid(v) && pep440Rcompare(v, bare) === 0);
    if (hit) return hit;
    throw notFound(meta, spec, newest);
  }
  const specifier = toPep440Specifier(spec);
  if (!pep440ValidRange(specifier)) throw invalidSpec(spec, 'PyPI');
  const candidates = meta.versions.filter((v) => pep440Valid(v) && !meta.yanked.includes(v));
  const wantsPre = /\d(?:a|b|rc|dev)\d*/i.test(specifier);
  const pool = wantsPre ? candidates : candidates.filter((v) => !pep440Explain(v)?.is_prerelease);
  const best = pep440MaxSatisfying(pool, specifier, { prereleases: wantsPre });
  if (best) return best;
  throw notFound(meta, spec, newest);
}

/** Resolves `spec` for the registry the metadata came from. */
export function resolveVersion(meta: PackageMetadata, spec: string): string {
  return meta.registry === 'npm' ? resolveNpmVersion(meta, spec) : resolvePypiVersion(meta, spec);
}
