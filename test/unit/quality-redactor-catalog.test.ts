import { describe, expect, it } from 'vitest';
import { toErrorResponse } from '../../src/errors/error-response.js';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { SecretRedactor } from '../../src/observability/secret-redactor.js';
import { checkPypiQuality } from '../../src/registry/quality-check.js';
import type { PackageMetadata } from '../../src/registry/types.js';

const settings = {
  minMonthlyDownloads: 100,
  strict: false,
  allowlist: ['trusted'],
  pypiMaxReleaseAgeDays: 365,
};
const now = Date.parse('2026-11-01T00:00:00Z');
const meta = (over: Partial<PackageMetadata> = {}): PackageMetadata => ({
  registry: 'pypi',
  name: 'p',
  versions: ['1.0'],
  distTags: { latest: '1.0' },
  yanked: [],
  releaseTimes: {},
  ...over,
});

describe('checkPypiQuality', () => {
  it('passes a recent, described, unyanked release', () => {
    expect(
      checkPypiQuality(
        meta(),
        '1.0',
        { description: 'x', releaseTime: '2026-10-01T00:00:00Z' },
        settings,
        now,
      ),
    ).toMatchObject({ checked: true, hasDescription: true });
  });
  it.each([
    [meta(), { description: '', releaseTime: '2026-10-01T00:00:00Z' }, /no description/],
    [meta(), { description: 'x', releaseTime: '2023-01-01T00:00:00Z' }, /last release was 2023-01-01/],
    [meta({ yanked: ['1.0'] }), { description: 'x', releaseTime: '2026-10-01T00:00:00Z' }, /yanked/],
  ])('refuses %#', (m, details, why) => {
    expect(() => checkPypiQuality(m, '1.0', details, settings, now)).toThrow(why);
  });
  it('allows unknown release dates unchecked, unless strict', () => {
    expect(checkPypiQuality(meta(), '1.0', { description: 'x' }, settings, now)).toMatchObject({
      checked: false,
    });
    expect(() =>
      checkPypiQuality(meta(), '1.0', { description: 'x' }, { ...settings, strict: true }, now),
    ).toThrow(/does not tell release dates and QUALITY_STRICT/);
  });
  it('allows a package whose index cannot tell its description (no metadata) unchecked, naming what', () => {
    expect(checkPypiQuality(meta(), '1.0', { releaseTime: '2026-10-01T00:00:00Z' }, settings, now)).toEqual({
      checked: false,
      reason: 'the index does not tell descriptions (no PEP 658 metadata)',
      lastRelease: '2026-10-01T00:00:00.000Z',
    });
  });
  it('skips allowlisted packages', () => {
    expect(checkPypiQuality(meta({ name: 'trusted' }), '1.0', {}, settings, now)).toMatchObject({
      checked: false,
      reason: expect.stringMatching(/allowlist/),
    });
  });
});

describe('SecretRedactor', () => {
  it('masks raw, JSON-escaped and URL-encoded forms until removed', () => {
    const r = new SecretRedactor();
    r.add(['s3cr"et/value', 'ab']);
    expect(r.mask('x s3cr"et/value y')).toBe('x *** y');
    expect(r.mask(JSON.stringify({ v: 's3cr"et/value' }))).toBe('{"v":"***"}');
    expect(r.mask('q=s3cr%22et%2Fvalue')).toBe('q=***');
    expect(r.mask('ab')).toBe('ab');
    r.remove(['s3cr"et/value']);
    expect(r.mask('s3cr"et/value')).toBe('s3cr"et/value');
  });
  it('keeps a value masked while another holder still uses it', () => {
    const r = new SecretRedactor();
    r.add(['shared-key']);
    r.add(['shared-key']);
    r.remove(['shared-key']);
    expect(r.mask('shared-key')).toBe('***');
  });
});

describe('error catalog', () => {
  it('gives every answer error, code, message and guidance', () => {
    const { status, body } = toErrorResponse(
      new GatewayError('PROCESS_LIMIT_REACHED', 'Maximum 10 concurrent processes allowed.', { limit: 10 }),
    );
    expect(status).toBe(503);
    expect(body).toMatchObject({
      error: 'Too many active processes',
      code: 'PROCESS_LIMIT_REACHED',
      guidance: { limit: 10 },
    });
  });
  it('never leaks the text of unexpected errors', () => {
    const { status, body } = toErrorResponse(new Error('/secret/path ENOENT'));
    expect(status).toBe(500);
    expect(JSON.stringify(body)).not.toContain('/secret/path');
  });
});
