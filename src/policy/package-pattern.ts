/**
 * @module Package patterns of the policy (pure): `[npm:|pypi:]name[@range]`, where the name may hold `*`
 * (`@myorg/*`, `*-mcp`) and the range is an exact version, an npm range or a PEP 440 specifier set.
 */
import {
  eq as pep440Eq,
  satisfies as pep440Satisfies,
  valid as pep440Valid,
  validRange as pep440ValidRange,
} from '@renovatebot/pep440';
import semver from 'semver';
import { toPep440Specifier } from '../registry/version-resolution.js';
import type { RegistryKind } from '../spec/package-spec.js';
import { globToRegExp } from './glob.js';

export interface PackagePattern {
  /** The pattern as the operator wrote it (answers name it). */
  source: string;
  registry?: RegistryKind;
  name: RegExp;
  /** Version range; undefined matches every version. */
  range?: string;
}

/** Thrown for a pattern that cannot be compiled; start-up reports it. */
export class PatternError extends Error {
  override readonly name = 'PatternError';
}

/** PEP 503 normalisation, so `Foo_Bar` and `foo-bar` are one PyPI project. */
export function normalisePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Compiles one pattern. @throws PatternError */
export function compilePattern(source: string): PackagePattern {
  let rest = source.trim();
  let registry: RegistryKind | undefined;
  const prefix = /^(npm|pypi):/.exec(rest);
  if (prefix) {
    registry = prefix[1] as RegistryKind;
    rest = rest.slice(prefix[0].length);
  }
  const at = rest.indexOf('@', rest.startsWith('@') ? 1 : 0);
  const name = at === -1 ? rest : rest.slice(0, at);
  const range = at === -1 ? undefined : rest.slice(at + 1).trim();
  if (!name || !/^[@A-Za-z0-9*][A-Za-z0-9._~*/@-]*$/.test(name))
    throw new PatternError(`Invalid package pattern '${source}'.`);
  if (range !== undefined && !semver.validRange(range) && !pep440Valid(range) && !isPep440Range(range))
    throw new PatternError(`Invalid version range in package pattern '${source}'.`);
  const norm = registry === 'pypi' ? normalisePypiName(name) : name;
  return {
    source,
    ...(registry ? { registry } : {}),
    name: globToRegExp(norm, 'i'),
    ...(range ? { range } : {}),
  };
}

function isPep440Range(range: string): boolean {
  return !!pep440ValidRange(toPep440Specifier(range));
}

/** True when the pattern names this package (any version). */
export function matchesName(p: PackagePattern, registry: RegistryKind | undefined, name: string): boolean {
  if (p.registry && registry && p.registry !== registry) return false;
  return p.name.test(name) || (registry !== 'npm' && p.name.test(normalisePypiName(name)));
}

/** True when the pattern names this exact package version. */
export function matchesVersion(
  p: PackagePattern,
  registry: RegistryKind,
  name: string,
  version: string,
): boolean {
  if (!matchesName(p, registry, name)) return false;
  if (p.range === undefined) return true;
  if (registry === 'npm') return semver.satisfies(version, p.range, { includePrerelease: true });
  try {
    if (pep440Valid(p.range)) return pep440Eq(version, p.range);
    return pep440Satisfies(version, toPep440Specifier(p.range));
  } catch {
    return false;
  }
}
