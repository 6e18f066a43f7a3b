import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { freePort } from '../support/net.js';

const callTool = (t: TestGateway, id: string, name: string, args: Record<string, unknown> = {}) =>
  t.callTool(id, name, args);

describe('PyPI packages from a static simple index (no JSON API)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('installs into a venv and runs the console script, end to end over MCP', async () => {
    const { status, body } = await t.get(
      '/package/fixture-py-mcp/stdio?apiKey=py-secret-1&args=--flag%20%22two%20words%22',
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      packageType: 'pypi',
      packageName: 'fixture-py-mcp',
      version: '1.1.0',
      quality: { checked: true, hasDescription: true },
    });
    expect(body.connectionInfo.command).toMatch(/pypi\/fixture-py-mcp@1\.1\.0\/bin\/python$/);
    expect(await callTool(t, body.processId, 'get_env', { name: 'API_KEY' })).toBe('py-secret-1');
    expect(JSON.parse(await callTool(t, body.processId, 'get_argv'))).toEqual(['--flag', 'two words']);
  });

  it.each([
    ['fixture-py-mcp@^1.0.0', '1.1.0'],
    ['fixture-py-mcp@==1.0.*', '1.0.0'],
    ['fixture-py-mcp@%3E%3D0.9%2C%3C1.0', '0.9.0'],
    ['pypi:fixture-py-mcp@~0.9', '0.9.0'],
  ])('%s resolves to %s', async (spec, version) => {
    const { status, body } = await t.get(`/package/${spec}/stdio`);
    expect(status).toBe(200);
    expect(body.version).toBe(version);
  });

  it('prefers npm for a name on both registries, and pypi: selects PyPI', async () => {
    const auto = await t.get('/package/fixture-dual-mcp/stdio');
    expect(auto.body).toMatchObject({ packageType: 'npm', version: '1.0.0' });
    const py = await t.get('/package/pypi:fixture-dual-mcp/stdio');
    expect(py.body).toMatchObject({ packageType: 'pypi', version: '3.0.0' });
  });

  it.each([
    ['fixture-py-mcp@==1.2.0', /yanked/, 'notYanked'],
    ['fixture-stale-py', /last release was/, 'PYPI_MAX_RELEASE_AGE_DAYS'],
    ['fixture-nodesc-py', /no description/, 'hasDescription'],
  ])('refuses %s by the PyPI heuristics', async (spec, why, rule) => {
    const { status, body } = await t.get(`/package/${spec}/stdio`);
    expect(status).toBe(403);
    expect(body.code).toBe('QUALITY_CHECK_FAILED');
    expect(body.message).toMatch(why);
    expect(body.guidance.rule).toBe(rule);
    expect(body.guidance.qualityRequirements).toHaveLength(3);
  });

  it('says clearly when a PyPI package has no console script', async () => {
    const { status, body } = await t.get('/package/fixture-noscript-py/stdio');
    expect(status).toBe(422);
    expect(body.message).toMatch(/no console script/);
  });
});

describe('quality settings', () => {
  it('allows with checked:false when the downloads API is unreachable, and denies when strict', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const lenient = await startTestGateway({ registry: { npmDownloadsUrl: dead } });
    const strict = await startTestGateway({ registry: { npmDownloadsUrl: dead }, quality: { strict: true } });
    try {
      const a = await lenient.get('/package/fixture-echo-mcp@1.0.0/stdio');
      expect(a.status).toBe(200);
      expect(a.body.quality).toMatchObject({ checked: false, reason: expect.stringMatching(/unreachable/) });
      expect(lenient.logs.join('')).toMatch(/downloads API unreachable|unreachable/);
      const b = await strict.get('/package/fixture-echo-mcp@1.0.0/stdio');
      expect(b.status).toBe(403);
      expect(b.body.message).toMatch(/QUALITY_STRICT/);
    } finally {
      await lenient.close();
      await strict.close();
    }
  });

  it('skips the check for allowlisted packages and honours the minimum', async () => {
    const t = await startTestGateway({ quality: { allowlist: ['fixture-unpopular-mcp'] } });
    const low = await startTestGateway({ quality: { minMonthlyDownloads: 2 } });
    try {
      const a = await t.get('/package/fixture-unpopular-mcp/stdio');
      expect(a.status).toBe(200);
      expect(a.body.quality).toMatchObject({ checked: false, reason: expect.stringMatching(/allowlist/) });
      const b = await low.get('/package/fixture-unpopular-mcp/stdio');
      expect(b.status).toBe(200);
      expect(b.body.quality).toMatchObject({
        checked: true,
        monthlyDownloads: 3,
        minimumMonthlyDownloads: 2,
      });
    } finally {
      await t.close();
      await low.close();
    }
  });

  it('answers 503 naming what to install when no Python runtime is usable', async () => {
    const t = await startTestGateway({ store: { python: '/nonexistent/python3', uv: 'never' } });
    try {
      const { status, body } = await t.get('/package/fixture-py-mcp/stdio');
      expect(status).toBe(503);
      expect(body).toMatchObject({ error: 'Runtime not available', code: 'RUNTIME_NOT_AVAILABLE' });
      expect(JSON.stringify(body.guidance)).toMatch(/python3-venv/);
    } finally {
      await t.close();
    }
  });
});

describe('registry outages', () => {
  it('explains a package missing on npm when PyPI cannot be reached', async () => {
    const dead = `http://127.0.0.1:${await freePort()}/simple`;
    const t = await startTestGateway({ registry: { pypiIndexUrl: dead } });
    try {
      const { status, body } = await t.get('/package/fixture-nowhere-to-be-found/stdio');
      expect(status).toBe(503);
      expect(body).toMatchObject({ code: 'INDEX_UNREACHABLE', guidance: { unreachable: [dead] } });
      expect(body.message).toMatch(
        /not found on npm, and the PyPI index http:\/\/127\.0\.0\.1:\d+\/simple could not be reached/,
      );
    } finally {
      await t.close();
    }
  });
});

describe('several PyPI indexes, as pip searches them', () => {
  it('resolves from a file:// extra index while the primary index is unreachable; an unknown name is 503 INDEX_UNREACHABLE naming it', async () => {
    const dead = `http://127.0.0.1:${await freePort()}/simple`;
    const fileIndex = `file://${inject('registries').work}/pypi/simple`;
    const t = await startTestGateway({ registry: { pypiIndexUrl: dead, pypiExtraIndexUrls: [fileIndex] } });
    try {
      const ok = await t.get('/package/pypi:fixture-py-mcp@1.0.0/stdio');
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body.quality).toMatchObject({ checked: true, hasDescription: true });
      expect(await t.callTool(ok.body.processId, 'echo', { text: 'from a file index' })).toBe(
        'from a file index',
      );
      // Not found where it was looked for, but the dead index might have it: not a 404.
      const unknown = await t.get('/package/no-such-project-anywhere-y/stdio');
      expect(unknown.status).toBe(503);
      expect(unknown.body).toMatchObject({
        code: 'INDEX_UNREACHABLE',
        guidance: { unreachable: [dead], answered: [fileIndex] },
      });
      expect(unknown.body.message).toContain(
        `not found on npm, and the PyPI index ${dead} could not be reached`,
      );
      // Where every index answers, it is a 404.
      const only = await startTestGateway({ registry: { pypiIndexUrl: fileIndex } });
      try {
        const missing = await only.get('/package/no-such-project-anywhere-y/stdio');
        expect(missing.status).toBe(404);
        expect(missing.body.code).toBe('PACKAGE_NOT_FOUND');
        expect(missing.body.guidance.searched.join(' ')).toContain(fileIndex);
      } finally {
        await only.close();
      }
    } finally {
      await t.close();
    }
  });
});
