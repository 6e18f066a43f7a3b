/** Package patterns and the compiled package policy (pure). */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.js';
import {
  compilePattern,
  matchesName,
  matchesVersion,
  PatternError,
} from '../../src/policy/package-pattern.js';
import { isExactVersion, PackagePolicy, type PolicySettings } from '../../src/policy/package-policy.js';
import { parsePackageSpec } from '../../src/spec/package-spec.js';

const settings = (s: Partial<PolicySettings> = {}): PolicySettings => ({
  allow: [],
  deny: [],
  requireExactVersion: false,
  maxPackageAgeDays: 0,
  ...s,
});

function denial(fn: () => void): Record<string, unknown> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('POLICY_DENIED');
    return (err as GatewayError).details;
  }
  throw new Error('expected a denial');
}

describe('package patterns', () => {
  it('matches scopes, globs, exact names and versions', () => {
    const scope = compilePattern('@myorg/*');
    expect(matchesName(scope, 'npm', '@myorg/tool')).toBe(true);
    expect(matchesName(scope, 'npm', '@myorgx/tool')).toBe(false);
    expect(matchesName(scope, 'npm', 'myorg-tool')).toBe(false);
    const exact = compilePattern('left-pad');
    expect(matchesName(exact, 'npm', 'left-pad')).toBe(true);
    expect(matchesName(exact, 'npm', 'left-pad2')).toBe(false);
    const ranged = compilePattern('@myorg/tool@>=2.0.0');
    expect(matchesVersion(ranged, 'npm', '@myorg/tool', '2.1.0')).toBe(true);
    expect(matchesVersion(ranged, 'npm', '@myorg/tool', '1.9.9')).toBe(false);
    const pinned = compilePattern('tool@1.2.3');
    expect(matchesVersion(pinned, 'npm', 'tool', '1.2.3')).toBe(true);
    expect(matchesVersion(pinned, 'npm', 'tool', '1.2.4')).toBe(false);
  });

  it('keeps registries apart and normalises PyPI names (PEP 503)', () => {
    const py = compilePattern('pypi:Mcp_Server.Fetch');
    expect(matchesName(py, 'pypi', 'mcp-server-fetch')).toBe(true);
    expect(matchesName(py, 'npm', 'mcp-server-fetch')).toBe(false);
    const pyRange = compilePattern('pypi:mcp-server-fetch@>=2,<3');
    expect(matchesVersion(pyRange, 'pypi', 'mcp-server-fetch', '2.5.0')).toBe(true);
    expect(matchesVersion(pyRange, 'pypi', 'mcp-server-fetch', '3.0.0')).toBe(false);
  });

  it('refuses patterns that do not compile', () => {
    for (const bad of ['', 'a b', 'tool@not a range!', '../x'])
      expect(() => compilePattern(bad)).toThrow(PatternError);
  });
});

describe('package policy', () => {
  it('denies by name before any network, naming the pattern', () => {
    const policy = new PackagePolicy(settings({ deny: ['@evil/*'] }));
    const d = denial(() => policy.checkRequest(parsePackageSpec('@evil/mcp@latest')));
    expect(d).toMatchObject({ rule: 'deny', pattern: '@evil/*' });
    expect(() => policy.checkRequest(parsePackageSpec('@good/mcp'))).not.toThrow();
  });

  it('has a built-in deny list of known-malicious releases that operators extend', () => {
    const policy = new PackagePolicy(settings({ deny: ['other-bad'] }));
    expect(() => policy.checkRequest(parsePackageSpec('postmark-mcp@1.0.15'))).not.toThrow();
    expect(() =>
      policy.checkResolved({ registry: 'npm', name: 'postmark-mcp', version: '1.0.15' }),
    ).not.toThrow();
    const d = denial(() =>
      policy.checkResolved({ registry: 'npm', name: 'postmark-mcp', version: '1.0.16' }),
    );
    expect(d).toMatchObject({ rule: 'deny', pattern: 'npm:postmark-mcp@>=1.0.16' });
    expect(denial(() => policy.checkRequest(parsePackageSpec('other-bad')))).toMatchObject({
      pattern: 'other-bad',
    });
  });

  it('runs only allow-listed packages and versions when an allow list is set', () => {
    const policy = new PackagePolicy(settings({ allow: ['@myorg/*', 'tool@^2'] }));
    expect(() => policy.checkRequest(parsePackageSpec('@myorg/server'))).not.toThrow();
    expect(denial(() => policy.checkRequest(parsePackageSpec('random-mcp')))).toMatchObject({
      rule: 'allow',
    });
    expect(() => policy.checkResolved({ registry: 'npm', name: 'tool', version: '2.3.0' })).not.toThrow();
    expect(
      denial(() => policy.checkResolved({ registry: 'npm', name: 'tool', version: '1.0.0' })),
    ).toMatchObject({
      rule: 'allow',
    });
  });

  it('requires exact pins when configured', () => {
    const policy = new PackagePolicy(settings({ requireExactVersion: true }));
    for (const loose of ['tool', 'tool@latest', 'tool@^1.2.0', 'tool@~1.2', 'tool@>=1', 'pypi:tool@>=1,<2'])
      expect(
        denial(() => policy.checkRequest(parsePackageSpec(loose))),
        loose,
      ).toMatchObject({
        rule: 'requireExactVersion',
      });
    for (const pinned of ['tool@1.2.3', 'pypi:tool@==1.2', 'pypi:tool@2.0.1'])
      expect(() => policy.checkRequest(parsePackageSpec(pinned)), pinned).not.toThrow();
    expect(isExactVersion('1.0.0-beta.1')).toBe(true);
    expect(isExactVersion('1.x')).toBe(false);
  });

  it('refuses packages without a release for longer than the maximum age', () => {
    const now = Date.parse('2026-11-24T00:00:00Z');
    const policy = new PackagePolicy(settings({ maxPackageAgeDays: 365 }), () => now);
    const subject = { registry: 'npm' as const, name: 'old', version: '1.0.0' };
    expect(() => policy.checkResolved({ ...subject, lastRelease: '2026-01-01T00:00:00Z' })).not.toThrow();
    const d = denial(() => policy.checkResolved({ ...subject, lastRelease: '2024-06-01T00:00:00Z' }));
    expect(d).toMatchObject({ rule: 'maxPackageAgeDays' });
    expect(() => policy.checkResolved(subject)).not.toThrow(); // unknown age: the quality check decides
  });
});
