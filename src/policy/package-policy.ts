/**
 * @module The package policy, compiled once from configuration; `checkRequest` runs before any network
 * (names and pins) and `checkResolved` after version resolution (versions, release age). Both are pure
 * and throw POLICY_DENIED naming the rule that matched.
 */

import { valid as pep440Valid } from '@renovatebot/pep440';
import semver from 'semver';
import { GatewayError } from '../errors/gateway-error.js';
import type { PackageSpec, RegistryKind } from '../spec/package-spec.js';
import { compilePattern, matchesName, matchesVersion, type PackagePattern } from './package-pattern.js';

/**
 * Known-malicious releases, always denied (operators add their own with PACKAGE_DENY).
 * postmark-mcp 1.0.16 and later BCC every sent e-mail to an attacker (Koi Security, September 2025).
 */
export const BUILTIN_DENY: readonly string[] = ['npm:postmark-mcp@>=1.0.16'];

export interface PolicySettings {
  allow: readonly string[];
  deny: readonly string[];
  requireExactVersion: boolean;
  /** 0: off. */
  maxPackageAgeDays: number;
}

/** What the policy needs to know of a resolved package. */
export interface PolicySubject {
  registry: RegistryKind;
  name: string;
  version: string;
  /** Newest release of the package (ISO 8601), when the registry says. */
  lastRelease?: string | undefined;
}

const DAY_MS = 86_400_000;

function denied(message: string, rule: string, pattern?: string, suggestion?: string): GatewayError {
  return new GatewayError('POLICY_DENIED', message, {
    rule,
    ...(pattern !== undefined ? { pattern } : {}),
    ...(suggestion ? { suggestion } : {}),
  });
}

/** True for a spec naming one exact version (npm semver, or a PEP 440 version / `==version`). */
export function isExactVersion(version: string): boolean {
  if (semver.valid(version)) return true;
  const bare = version.startsWith('==') ? version.slice(2) : version;
  return !bare.includes('*') && !!pep440Valid(bare) && /^\d/.test(bare);
}

export class PackagePolicy {
  private readonly allow: PackagePattern[];
  private readonly deny: PackagePattern[];

  /** @throws PatternError for a pattern that does not compile. */
  constructor(
    private readonly s: PolicySettings,
    private readonly now: () => number = Date.now,
  ) {
    this.allow = s.allow.map(compilePattern);
    this.deny = [...BUILTIN_DENY, ...s.deny].map(compilePattern);
  }

  /** Checks a request before anything is fetched. @throws GatewayError POLICY_DENIED */
  checkRequest(spec: PackageSpec): void {
    const hit = this.deny.find((p) => p.range === undefined && matchesName(p, spec.registry, spec.name));
    if (hit) throw denied(`Package '${spec.name}' is on the deny list.`, 'deny', hit.source);
    if (this.allow.length > 0 && !this.allow.some((p) => matchesName(p, spec.registry, spec.name)))
      throw denied(
        `Package '${spec.name}' is not on this gateway's allow list.`,
        'allow',
        undefined,
        'Only packages on the allow list run here; ask the operator to add this one to PACKAGE_ALLOW',
      );
    if (this.s.requireExactVersion && !isExactVersion(spec.version))
      throw denied(
        `This gateway runs only exact versions; '${spec.version}' is a tag or a range.`,
        'requireExactVersion',
        undefined,
        `Pin a version, e.g. /package/${spec.name}@1.2.3/mcp`,
      );
  }

  /** Checks the resolved version and the package's age. @throws GatewayError POLICY_DENIED */
  checkResolved(p: PolicySubject): void {
    const hit = this.deny.find(
      (d) => d.range !== undefined && matchesVersion(d, p.registry, p.name, p.version),
    );
    if (hit)
      throw denied(
        `${p.name}@${p.version} is on the deny list.`,
        'deny',
        hit.source,
        'Pick a version outside the denied range',
      );
    if (this.allow.length > 0 && !this.allow.some((a) => matchesVersion(a, p.registry, p.name, p.version)))
      throw denied(
        `${p.name}@${p.version} is outside the allowed versions.`,
        'allow',
        undefined,
        'Pick a version the allow list names',
      );
    const maxDays = this.s.maxPackageAgeDays;
    if (maxDays > 0 && p.lastRelease) {
      const age = this.now() - Date.parse(p.lastRelease);
      if (age > maxDays * DAY_MS)
        throw denied(
          `${p.name} has had no release for ${Math.floor(age / DAY_MS)} days (limit ${maxDays}).`,
          'maxPackageAgeDays',
          undefined,
          'Pick a maintained package, or ask the operator to raise MAX_PACKAGE_AGE_DAYS',
        );
    }
  }
}
