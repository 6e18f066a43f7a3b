/**
 * The MCP Registry API (read side) for what the gateway serves, every answer validated with Ajv against
 * the official registry's schemas (transcribed in test/support/registry-schema.ts).
 */
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { startTestGateway, type TestGateway, useServedGateway } from '../support/gateway-harness.js';
import { registrySchema } from '../support/registry-schema.js';

const ajv = new Ajv({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const validList = ajv.compile(registrySchema('ServerList'));
const validServer = ajv.compile(registrySchema('ServerResponse'));

describe('the transcribed schema', () => {
  it('refuses what the registry refuses (so a pass means something)', () => {
    const server = { name: 'com.npmjs/x', description: 'd', version: '1.0.0' };
    expect(validServer({ server })).toBe(true);
    expect(validServer({ server: { ...server, name: 'no-slash' } })).toBe(false);
    expect(validServer({ server: { ...server, description: 'x'.repeat(101) } })).toBe(false);
    const pkg = { registryType: 'npm', identifier: 'x', version: 'latest', transport: { type: 'stdio' } };
    expect(validServer({ server: { ...server, packages: [pkg] } })).toBe(false);
    expect(
      validServer({ server: { ...server, remotes: [{ type: 'streamable-http', url: 'ftp://x' }] } }),
    ).toBe(false);
  });
});

function expectValid(validate: typeof validList, body: unknown) {
  const ok = validate(body);
  expect(ok ? [] : validate.errors, JSON.stringify(body).slice(0, 400)).toEqual([]);
}

describe('MCP Registry API, read side', () => {
  let t: TestGateway;
  let base: string;
  useServedGateway((gw, url) => {
    t = gw;
    base = url;
  });
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, { headers });
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    // Three installed versions of two packages; one runs with a secret and a plain setting.
    for (const path of [
      '/package/fixture-echo-mcp@1.0.0/stdio',
      '/package/fixture-echo-mcp@1.2.0/stdio?apiKey=registry-secret-1&region=eu',
      '/package/@fixtures/scoped-mcp@1.0.0/stdio',
    ])
      expect((await fetch(`${base}${path}`)).status).toBe(200);
  });

  it('lists installed servers as valid server.json entries pointing at this gateway', async () => {
    const { status, body } = await get('/v0.1/servers');
    expect(status).toBe(200);
    expectValid(validList, body);
    const names = body.servers.map((s: any) => `${s.server.name}@${s.server.version}`);
    expect(names).toEqual([
      'com.npmjs.fixtures/scoped-mcp@1.0.0',
      'com.npmjs/fixture-echo-mcp@1.2.0',
      'com.npmjs/fixture-echo-mcp@1.0.0',
    ]);
    const echo = body.servers[1].server;
    expect(echo.$schema).toBe('https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json');
    expect(echo.packages[0]).toMatchObject({
      registryType: 'npm',
      identifier: 'fixture-echo-mcp',
      version: '1.2.0',
      transport: { type: 'stdio' },
    });
    expect(echo.remotes[0]).toMatchObject({
      type: 'streamable-http',
      url: `${base}/package/fixture-echo-mcp@1.2.0/mcp`,
    });
    expect(echo.remotes[1]).toMatchObject({ type: 'sse', url: `${base}/package/fixture-echo-mcp@1.2.0/sse` });
    expect(echo.remotes[0].headers).toEqual([
      { name: 'X-MCP-Env-API_KEY', description: expect.any(String), isSecret: true },
      { name: 'X-MCP-Env-REGION', description: expect.any(String), isSecret: false },
    ]);
    expect(JSON.stringify(body)).not.toContain('registry-secret-1');
    expect(body.metadata).toEqual({ count: 3 });
  });

  it('pages with cursors and filters by search, version=latest and updated_since', async () => {
    const first = await get('/v0.1/servers?limit=2');
    expectValid(validList, first.body);
    expect(first.body.metadata.count).toBe(2);
    const second = await get(
      `/v0.1/servers?limit=2&cursor=${encodeURIComponent(first.body.metadata.nextCursor)}`,
    );
    expectValid(validList, second.body);
    expect(second.body.servers.map((s: any) => s.server.version)).toEqual(['1.0.0']);
    expect(second.body.metadata.nextCursor).toBeUndefined();
    const latest = await get('/v0.1/servers?version=latest&search=echo');
    expect(latest.body.servers.map((s: any) => s.server.version)).toEqual(['1.2.0']);
    expect((await get('/v0.1/servers?updated_since=2999-01-01T00:00:00Z')).body.servers).toEqual([]);
    const bad = await get('/v0.1/servers?cursor=bm9wZQ');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('INVALID_PARAMETER');
    expect((await get('/v0.1/servers?limit=zero')).status).toBe(400);
  });

  it('lists the versions of one server and answers one version, latest included', async () => {
    const name = encodeURIComponent('com.npmjs/fixture-echo-mcp');
    const versions = await get(`/v0.1/servers/${name}/versions`);
    expectValid(validList, versions.body);
    expect(versions.body.servers.map((s: any) => s.server.version)).toEqual(['1.2.0', '1.0.0']);
    const one = await get(`/v0.1/servers/${name}/versions/1.0.0`);
    expectValid(validServer, one.body);
    expect(one.body.server.version).toBe('1.0.0');
    const latest = await get(`/v0.1/servers/${name}/versions/latest`);
    expect(latest.body.server.version).toBe('1.2.0');
    const missing = await get(`/v0.1/servers/${encodeURIComponent('com.npmjs/nope')}/versions`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'Server not found', code: 'SERVER_NOT_FOUND' });
    expect((await get(`/v0.1/servers/${name}/versions/9.9.9`)).status).toBe(404);
    void t;
  });
});

describe('MCP Registry API with API keys', () => {
  it('needs a key, and asks for an Authorization header in every remote', async () => {
    const admin = generateApiKey('ops', 'admin');
    const t = await startTestGateway({ auth: { apiKeys: [admin.entry] } });
    try {
      const auth = { authorization: `Bearer ${admin.key}` };
      expect((await t.get('/package/fixture-echo-mcp@1.0.0/stdio', { headers: auth })).status).toBe(200);
      expect((await t.get('/v0.1/servers')).status).toBe(401);
      const listed = await t.get('/v0.1/servers', { headers: auth });
      expectValid(validList, listed.body);
      expect(listed.body.servers[0].server.remotes[0].headers[0]).toMatchObject({
        name: 'Authorization',
        isRequired: true,
        isSecret: true,
      });
    } finally {
      await t.close();
    }
  });
});

describe('MCP Registry API in browsers', () => {
  it('is not readable by pages on other origins at defaults (installed packages, names of secrets)', async () => {
    const t = await startTestGateway();
    try {
      expect((await t.get('/package/fixture-echo-mcp@1.0.0/stdio?apiKey=cors-secret-1')).status).toBe(200);
      const page = await t.get('/v0.1/servers', { headers: { origin: 'https://gallery.example' } });
      expect(page.status).toBe(403);
      expect(page.body).toMatchObject({
        code: 'ORIGIN_NOT_ALLOWED',
        guidance: { suggestion: expect.stringContaining('REGISTRY_API_CORS') },
      });
      expect(page.headers.get('access-control-allow-origin')).toBeNull();
      const img = await t.get('/v0.1/servers', { headers: { 'sec-fetch-site': 'cross-site' } });
      expect(img.status).toBe(403);
      // The gateway's own pages (same origin) and programs read it.
      expect((await t.get('/v0.1/servers', { headers: { 'sec-fetch-site': 'same-origin' } })).status).toBe(
        200,
      );
    } finally {
      await t.close();
    }
  });

  it('is readable with CORS by the origins REGISTRY_API_CORS lists', async () => {
    const t = await startTestGateway({ http: { registryApiCors: ['https://gallery.example'] } });
    try {
      const headers = { origin: 'https://gallery.example', 'sec-fetch-site': 'cross-site' };
      const listed = await t.get('/v0.1/servers', { headers });
      expect(listed.status).toBe(200);
      expectValid(validList, listed.body);
      expect(listed.headers.get('access-control-allow-origin')).toBe('https://gallery.example');
      // Only the registry API: the same origin still may not launch anything.
      const launch = await t.get('/package/fixture-echo-mcp@1.0.0/stdio', { headers });
      expect(launch.status).toBe(403);
      expect(t.gw.processes.list()).toHaveLength(0);
      const other = await t.get('/v0.1/servers', { headers: { origin: 'https://other.example' } });
      expect(other.status).toBe(403);
    } finally {
      await t.close();
    }
  });
});
