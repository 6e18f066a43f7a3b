import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';

describe('versions, detection and package errors through the gateway', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each([
    ['fixture-echo-mcp@^1.2.0', '1.3.0'],
    ['fixture-echo-mcp@%5E1.2.0', '1.3.0'],
    ['fixture-echo-mcp@~1.2.0', '1.2.5'],
    ['fixture-echo-mcp@1.1.0', '1.1.0'],
    ['fixture-echo-mcp%401.0.0', '1.0.0'],
    ['fixture-echo-mcp@next', '2.1.0-beta.1'],
    ['npm:fixture-echo-mcp@%3E%3D1.2%20%3C1.3', '1.2.5'],
  ])('%s resolves to %s and runs that version', async (spec, version) => {
    const { status, body } = await t.get(`/package/${spec}/stdio`);
    expect(status).toBe(200);
    expect(body.version).toBe(version);
    expect(body.server.serverInfo.version).toBe(version);
  });

  it('launches scoped packages, also with an encoded slash', async () => {
    const a = await t.get('/package/@fixtures/scoped-mcp/stdio');
    const b = await t.get('/package/@fixtures%2Fscoped-mcp@1.0.0/stdio');
    expect(a.status).toBe(200);
    expect(a.body.packageName).toBe('@fixtures/scoped-mcp');
    expect(b.body.processId).toBe(a.body.processId);
  });

  it('picks the bin named like the package among several (npx rule)', async () => {
    const { status, body } = await t.get('/package/fixture-multi-bin-mcp/stdio');
    expect(status).toBe(200);
    expect(body.connectionInfo.args.at(-1)).toMatch(/fixture-multi-bin-mcp\/server\.cjs$/);
  });

  it('says clearly when no bin can be chosen, or there is none', async () => {
    const ambiguous = await t.get('/package/fixture-ambiguous-bins/stdio');
    expect(ambiguous.status).toBe(422);
    expect(ambiguous.body).toMatchObject({
      code: 'PACKAGE_NOT_RUNNABLE',
      guidance: { entryPoints: ['tool-a', 'tool-b'] },
    });
    const none = await t.get('/package/fixture-no-bin/stdio');
    expect(none.status).toBe(422);
    expect(none.body.message).toMatch(/has no bin/);
  });

  it('answers 404 with the registries searched for an unknown package', async () => {
    const { status, body } = await t.get('/package/fixture-this-does-not-exist/stdio');
    expect(status).toBe(404);
    expect(body).toMatchObject({ error: 'Package not found', code: 'PACKAGE_NOT_FOUND' });
    expect(body.message).toBe(
      "Package 'fixture-this-does-not-exist' was not found in npm or PyPI registries.",
    );
    expect(body.guidance.searched).toHaveLength(2);
  });

  it('suggests close names from the npm search endpoint', async () => {
    const { body } = await t.get('/package/npm:fixture-echo/stdio');
    expect(body.code).toBe('PACKAGE_NOT_FOUND');
    expect(body.guidance.suggestions.join(' ')).toContain('fixture-echo-mcp');
  });

  it('answers 404 listing the newest versions for a missing version', async () => {
    const { status, body } = await t.get('/package/fixture-echo-mcp@^7.0.0/stdio');
    expect(status).toBe(404);
    expect(body.code).toBe('VERSION_NOT_FOUND');
    expect(body.guidance.availableVersions.slice(0, 3)).toEqual(['2.1.0-beta.1', '2.0.0', '1.3.0']);
  });

  it('answers 403 with requirement and actual numbers for unpopular packages', async () => {
    const { status, body } = await t.get('/package/fixture-unpopular-mcp/stdio');
    expect(status).toBe(403);
    expect(body).toMatchObject({
      error: 'Package quality check failed',
      guidance: {
        rule: 'MIN_MONTHLY_DOWNLOADS',
        qualityRequirements: ['Minimum 100 downloads per month'],
        packageHas: { monthlyDownloads: 3 },
      },
    });
  });

  it('answers 502 with npm output when the install fails', async () => {
    const { status, body } = await t.get('/package/fixture-broken-deps-mcp/stdio');
    expect(status).toBe(502);
    expect(body.code).toBe('INSTALL_FAILED');
    expect(body.guidance.installerOutput.join('\n')).toMatch(/fixture-does-not-exist-anywhere|E404|404/);
    expect(t.gw.store.stats().packages).toBeGreaterThan(0);
    const listed = await t.gw.store.list();
    expect(listed.map((p) => p.name)).not.toContain('fixture-broken-deps-mcp');
  });

  it('answers 502 with the stderr tail when the server crashes on start', async () => {
    const { status, body } = await t.get('/package/fixture-crash-mcp/stdio');
    expect(status).toBe(502);
    expect(body).toMatchObject({ error: 'MCP server failed to start', code: 'SERVER_START_FAILED' });
    expect(body.message).toMatch(/exited with code 1/);
    expect(body.guidance.stderrTail.join('\n')).toContain('fatal: FIXTURE_API_KEY is not set');
  });

  it('tolerates junk lines on stdout', async () => {
    const { status, body } = await t.get('/package/fixture-junk-mcp/stdio');
    expect(status).toBe(200);
    const logs = await t.get(`/logs/${body.processId}`);
    // Kept apart from stderr: the stdout lines that were not MCP messages.
    expect(logs.body.stdout).toContain('this is not JSON-RPC, just a log line on stdout');
    expect(logs.body.lines.join('\n')).not.toContain('this is not JSON-RPC');
  });

  it.each([
    ['/package/https%3A%2F%2Fmcp.webflow.com%2Fsse/stdio', 400, 'REMOTE_NOT_SUPPORTED'],
    ['/package/https://mcp.webflow.com/sse/stdio', 400, 'REMOTE_NOT_SUPPORTED'],
    ['/package/fixture-echo-mcp@github:a%2Fb/stdio', 400, 'REMOTE_NOT_SUPPORTED'],
    ['/package/..%2F..%2Fetc/stdio', 400, 'REMOTE_NOT_SUPPORTED'],
    ['/package/fixture-echo-mcp/websocket', 400, 'INVALID_PROTOCOL'],
    ['/package/fixture-echo-mcp', 400, 'INVALID_PROTOCOL'],
    ['/package/fixture-echo-mcp/stdio?NODE_OPTIONS=--inspect', 400, 'ENV_NAME_DENIED'],
    ['/package/fixture-echo-mcp/stdio?ldPreload=/tmp/x.so', 400, 'ENV_NAME_DENIED'],
    ['/package/fixture-echo-mcp/stdio?a.b=1', 400, 'INVALID_PARAMETER'],
    ['/package/fixture-echo-mcp/stdio?args=%27open', 400, 'INVALID_ARGS'],
    ['/package/%ZZ/stdio', 400, 'MALFORMED_REQUEST'],
    ['/package/fixture-echo-mcp@!!/stdio', 400, 'INVALID_VERSION_SPEC'],
  ])('%s -> %i %s', async (path, status, code) => {
    const res = await t.get(path);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.guidance).toBeTypeOf('object');
  });

  it('refuses stdio launches from a foreign browser Origin, before anything is resolved', async () => {
    const res = await t.get('/package/fixture-echo-mcp/stdio', {
      headers: { origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('ORIGIN_NOT_ALLOWED');
    const local = await t.get('/package/fixture-echo-mcp@1.0.0/stdio', {
      headers: { origin: 'http://localhost:5173' },
    });
    expect(local.status).toBe(200);
  });

  it('answers 405 for other methods on package URLs', async () => {
    const res = await t.get('/package/fixture-echo-mcp/stdio', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.body.code).toBe('METHOD_NOT_ALLOWED');
  });
});
