import { describe, expect, it } from 'vitest';
import type { PackageMetadata } from '../../src/registry/types.js';
import {
  resolveNpmVersion,
  resolvePypiVersion,
  toPep440Specifier,
} from '../../src/registry/version-resolution.js';

const npmMeta: PackageMetadata = {
  registry: 'npm',
  name: 'pkg',
  versions: ['1.0.0', '1.1.0', '1.2.0', '1.2.5', '1.3.0', '2.0.0', '2.1.0-beta.1'],
  distTags: { latest: '2.0.0', next: '2.1.0-beta.1' },
  yanked: [],
  releaseTimes: {},
};

const pypiMeta: PackageMetadata = {
  registry: 'pypi',
  name: 'proj',
  versions: ['0.9.0', '1.0.0', '1.1.0', '1.2.0', '1.2.7', '2.0.0b1', '2.0.0'],
  distTags: { latest: '2.0.0' },
  yanked: ['1.2.7'],
  releaseTimes: {},
};

describe('resolveNpmVersion', () => {
  it.each([
    ['latest', '2.0.0'],
    ['next', '2.1.0-beta.1'],
    ['1.2.0', '1.2.0'],
    ['^1.2.0', '1.3.0'],
    ['~1.2.0', '1.2.5'],
    ['1.x', '1.3.0'],
    ['>=1.1 <1.3', '1.2.5'],
    ['*', '2.0.0'],
    ['^2.1.0-beta.0', '2.1.0-beta.1'],
  ])('%s -> %s', (spec, want) => {
    expect(resolveNpmVersion(npmMeta, spec)).toBe(want);
  });

  it('lists the newest versions when nothing matches', () => {
    try {
      resolveNpmVersion(npmMeta, '^9.0.0');
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({
        code: 'VERSION_NOT_FOUND',
        details: {
          availableVersions: ['2.1.0-beta.1', '2.0.0', '1.3.0', '1.2.5', '1.2.0', '1.1.0', '1.0.0'],
        },
      });
    }
  });

  it.each(['3.0.0', 'nosuchtag'])('%s is a missing version', (spec) => {
    expect(() => resolveNpmVersion(npmMeta, spec)).toThrow(
      expect.objectContaining({ code: 'VERSION_NOT_FOUND' }),
    );
  });

  it('refuses a spec that is no range or tag', () => {
    expect(() => resolveNpmVersion(npmMeta, 'foo bar')).toThrow(
      expect.objectContaining({ code: 'INVALID_VERSION_SPEC' }),
    );
  });
});

describe('toPep440Specifier', () => {
  it.each([
    ['^1.2.3', '>=1.2.3,<2'],
    ['^0.2.3', '>=0.2.3,<0.3'],
    ['^0.0.3', '>=0.0.3,<0.0.4'],
    ['^1', '>=1,<2'],
    ['~1.2.3', '>=1.2.3,<1.3'],
    ['~1.2', '>=1.2,<1.3'],
    ['~1', '>=1,<2'],
    ['>=1.0,<2', '>=1.0,<2'],
  ])('%s -> %s', (input, out) => {
    expect(toPep440Specifier(input)).toBe(out);
  });
});

describe('resolvePypiVersion', () => {
  it.each([
    ['latest', '2.0.0'],
    ['1.1.0', '1.1.0'],
    ['==1.1.0', '1.1.0'],
    ['1.2.7', '1.2.7'],
    ['==1.2.*', '1.2.0'],
    ['>=1.0,<2', '1.2.0'],
    ['^1.0.0', '1.2.0'],
    ['~1.1.0', '1.1.0'],
    ['~=1.0', '1.2.0'],
    ['==2.0.0b1', '2.0.0b1'],
    ['>=2.0.0a1,<2.0.1', '2.0.0'],
    ['>=1.0,<2.0.0', '1.2.0'],
  ])('%s -> %s', (spec, want) => {
    expect(resolvePypiVersion(pypiMeta, spec)).toBe(want);
  });

  it('reports missing versions and invalid specifiers', () => {
    expect(() => resolvePypiVersion(pypiMeta, '==5.0')).toThrow(
      expect.objectContaining({ code: 'VERSION_NOT_FOUND' }),
    );
    expect(() => resolvePypiVersion(pypiMeta, '>=3')).toThrow(
      expect.objectContaining({ code: 'VERSION_NOT_FOUND' }),
    );
    expect(() => resolvePypiVersion(pypiMeta, 'next')).toThrow(
      expect.objectContaining({ code: 'INVALID_VERSION_SPEC' }),
    );
  });
});
