import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';

/** Pieces that stress the parsers: encodings, traversal, schemes, quotes, huge and control characters. */
const nasty = fc.constantFrom(
  '%',
  '%2',
  '%ZZ',
  '%00',
  '%2F',
  '%40',
  '%5E',
  '..',
  '.',
  '@',
  '@@',
  ':',
  '//',
  'npm:',
  'pypi:',
  'git+',
  'https:',
  'file:',
  '~',
  '^',
  '*',
  '\\',
  '"',
  "'",
  ';',
  '|',
  '$(',
  '`',
  '\u0000',
  '\u202e',
  'é',
  '😀',
  ' ',
  '+',
  '=',
  '&',
  '?',
  '#',
);
const segment = fc
  .array(
    fc.oneof(nasty, fc.string({ maxLength: 8 }), fc.constantFrom('fixture-nope', 'stdio', 'package', 'x')),
    { maxLength: 6 },
  )
  .map((a) => a.join(''));
const path = fc
  .array(segment, { minLength: 1, maxLength: 5 })
  .map((segs) => `/package/${segs.map((s) => s.replace(/[?#]/g, encodeURIComponent)).join('/')}`);
const query = fc
  .array(
    fc.tuple(
      fc.oneof(segment, fc.constantFrom('args', 'apiKey', 'NODE_OPTIONS', 'PATH', 'a-b', '')),
      fc.oneof(segment, fc.string({ maxLength: 40 })),
    ),
    { maxLength: 6 },
  )
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
const otherPaths = fc.oneof(
  fc.constantFrom(
    '/',
    '/health',
    '/processes',
    '/processes/x',
    '/logs/',
    '/logs/%ZZ',
    '/metrics',
    '//package//stdio',
    '/package',
    '/package/',
  ),
  segment.map((s) => `/${s}`),
);

describe('router fuzzing', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('never answers 500 or crashes, always JSON with guidance on errors, and starts no child', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(path, otherPaths),
        query,
        fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'),
        async (p, q, method) => {
          let url: string;
          try {
            url = new URL(`http://localhost${p}${q ? `?${q}` : ''}`).toString();
          } catch {
            return;
          }
          const res = await t.gw.app.request(url, { method });
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          expect(res.status).not.toBe(500);
          if (res.status >= 400) {
            const body = (await res.json()) as Record<string, unknown>;
            expect(body).toHaveProperty('error');
            expect(body).toHaveProperty('guidance');
          } else {
            await res.body?.cancel();
          }
        },
      ),
      { numRuns: 400 },
    );
    expect(t.gw.processes.list()).toHaveLength(0);
    expect(seen.get(500)).toBeUndefined();
    expect(seen.size).toBeGreaterThan(2);
  });
});
