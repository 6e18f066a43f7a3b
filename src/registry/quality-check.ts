/**
 * @module Quality checks before anything is installed: npm monthly downloads; PyPI heuristics
 * (a recent release, a description, not yanked). An allowlist skips them; an unreachable downloads
 * API allows with `checked: false` unless the strict setting denies.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { NpmDownloadsClient } from './npm-downloads-client.js';
import type { PackageMetadata, VersionDetails } from './types.js';

/** The quality slice of the configuration. */
export interface QualitySettings {
  minMonthlyDownloads: number;
  strict: boolean;
  allowlist: readonly string[];
  pypiMaxReleaseAgeDays: number;
}

/** What the answer reports about the check. */
export interface QualityReport {
  checked: boolean;
  reason?: string;
  monthlyDownloads?: number;
  minimumMonthlyDownloads?: number;
  lastRelease?: string;
  hasDescription?: boolean;
}

const DAY_MS = 86_400_000;

function failed(
  name: string,
  registry: string,
  reason: string,
  requirements: string[],
  actual: Record<string, unknown>,
  /** The setting behind the refusal, named in the answer like a policy rule. */
  rule: string,
): GatewayError {
  return new GatewayError(
    'QUALITY_CHECK_FAILED',
    `Package '${name}' (${registry}) does not meet quality requirements: ${reason}.`,
    {
      packageName: name,
      requirements,
      actual,
      rule,
    },
  );
}

/** Checks an npm package's monthly downloads. */
export async function checkNpmQuality(
  name: string,
  downloads: NpmDownloadsClient,
  s: QualitySettings,
): Promise<QualityReport> {
  if (s.allowlist.includes(name)) return { checked: false, reason: 'package is on the quality allowlist' };
  const count = await downloads.lastMonth(name);
  const requirement = `Minimum ${s.minMonthlyDownloads} downloads per month`;
  if (!count.ok) {
    if (s.strict)
      throw failed(
        name,
        'npm',
        `download count unavailable (${count.reason}) and QUALITY_STRICT is on`,
        [requirement],
        { monthlyDownloads: 'unknown' },
        'QUALITY_STRICT',
      );
    return { checked: false, reason: count.reason };
  }
  if (count.downloads < s.minMonthlyDownloads) {
    throw failed(
      name,
      'npm',
      `${count.downloads} downloads last month, fewer than ${s.minMonthlyDownloads}`,
      [requirement],
      { monthlyDownloads: count.downloads },
      'MIN_MONTHLY_DOWNLOADS',
    );
  }
  return { checked: true, monthlyDownloads: count.downloads, minimumMonthlyDownloads: s.minMonthlyDownloads };
}

/**
 * Checks PyPI heuristics for the resolved `version`, with `newest` holding the details of the
 * newest release (recency is a property of the project, not of the pinned version).
 */
export function checkPypiQuality(
  meta: PackageMetadata,
  version: string,
  newest: VersionDetails,
  s: QualitySettings,
  now: number,
): QualityReport {
  if (s.allowlist.includes(meta.name))
    return { checked: false, reason: 'package is on the quality allowlist' };
  const requirements = [
    `A release within the last ${s.pypiMaxReleaseAgeDays} days`,
    'A package description',
    'The chosen version is not yanked',
  ];
  const knownTimes = [
    ...Object.values(meta.releaseTimes),
    ...(newest.releaseTime ? [newest.releaseTime] : []),
  ]
    .map((t) => Date.parse(t))
    .filter((t) => !Number.isNaN(t));
  const lastRelease = knownTimes.length > 0 ? new Date(Math.max(...knownTimes)).toISOString() : undefined;
  // undefined: the index cannot tell (a plain simple index without PEP 658 metadata); '' : it has none.
  const description = newest.description?.trim();
  const hasDescription = description === undefined ? undefined : description !== '';
  const actual = {
    lastRelease: lastRelease ?? 'unknown',
    hasDescription: hasDescription ?? 'unknown',
    yanked: meta.yanked.includes(version),
  };
  if (meta.yanked.includes(version))
    throw failed(meta.name, 'pypi', `version ${version} is yanked`, requirements, actual, 'notYanked');
  if (hasDescription === false)
    throw failed(meta.name, 'pypi', 'it has no description', requirements, actual, 'hasDescription');
  if (lastRelease && now - Date.parse(lastRelease) > s.pypiMaxReleaseAgeDays * DAY_MS) {
    throw failed(
      meta.name,
      'pypi',
      `its last release was ${lastRelease.slice(0, 10)}, more than ${s.pypiMaxReleaseAgeDays} days ago`,
      requirements,
      actual,
      'PYPI_MAX_RELEASE_AGE_DAYS',
    );
  }
  const unknown = [
    ...(lastRelease ? [] : ['release dates']),
    ...(hasDescription === undefined ? ['descriptions (no PEP 658 metadata)'] : []),
  ];
  if (unknown.length > 0) {
    const what = unknown.join(' or ');
    if (s.strict)
      throw failed(
        meta.name,
        'pypi',
        `the index does not tell ${what} and QUALITY_STRICT is on`,
        requirements,
        actual,
        'QUALITY_STRICT',
      );
    return {
      checked: false,
      reason: `the index does not tell ${what}`,
      ...(lastRelease ? { lastRelease } : {}),
      ...(hasDescription !== undefined ? { hasDescription } : {}),
    };
  }
  return { checked: true, lastRelease, hasDescription };
}
