/**
 * Fixture servers that act like the ones people run (API key from the environment, fetch()/urllib to an
 * HTTP API, WebAssembly, fatal errors printed on stdout, unbounded allocation), through the gateway at
 * its DEFAULT settings with the sandbox on, over stdio, Streamable HTTP and legacy SSE.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipConfiguredIndexes } from '../../src/config/pip-index-default.js';
import { type FixtureApi, startFixtureApi } from '../support/fixture-api.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/pids.js';

const text = (r: unknown) => (r as { content: Array<{ text: string }> }).content[0]?.text ?? '';

describe('servers that behave like real ones, at default settings', () => {
  let t: TestGateway;
  let base: string;
  let api: FixtureApi;
  const query = (key: string) => `fixtureApiKey=${key}&fixtureApiUrl=${encodeURIComponent(api.url)}`;

  beforeAll(async () => {
    api = await startFixtureApi();
    // Children have a network of their own: the host's loopback API is open to them only as listed.
    t = await startTestGateway({ sandbox: { hostPorts: [String(api.port)] } });
    base = await t.serve();
    const health = (await t.get('/health')).body;
    // The point of this suite: the real sandbox and the real memory cap, as a user gets them.
    if (health.sandbox.mode !== 'bwrap') throw new Error(`no sandbox here: ${health.sandbox.reason}`);
  });
  afterAll(async () => {
    await t?.close();
    await api?.stop();
  });

  it('caps memory with the strongest mechanism here and says so on /health', async () => {
    const { sandbox } = (await t.get('/health')).body;
    expect(sandbox.memoryLimit).toMatchObject({ memoryMb: 2048 });
    // This machine and CI's offer a writable cgroup (v1) to root; elsewhere RLIMIT_DATA is the fallback.
    expect(sandbox.memoryLimit.mechanism).toMatch(/^cgroup-v[12]$/);
  });

  it.each([
    ['npm', 'fixture-api-mcp'],
    ['PyPI', 'fixture-py-api-mcp'],
  ])('a %s server calls its API with the key from the environment, over stdio', async (_kind, name) => {
    const key = `good-stdio-${name}`;
    const res = await t.get(`/package/${name}/stdio?${query(key)}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.connectionInfo.env).toMatchObject({ FIXTURE_API_KEY: '***' });
    const found = JSON.parse(await t.callTool(res.body.processId, 'search', { query: 'mcp gateways' }));
    expect(found).toEqual({ query: 'mcp gateways', results: ['first', 'second'] });
    expect(api.seen).toContainEqual({ path: '/v1/search', key });
  });

  it.each([
    ['npm', 'fixture-api-mcp'],
    ['PyPI', 'fixture-py-api-mcp'],
  ])('a %s server works over Streamable HTTP and legacy SSE', async (_kind, name) => {
    for (const transport of ['mcp', 'sse'] as const) {
      const url = new URL(`${base}/package/${name}/${transport}?${query(`good-${transport}`)}`);
      const client = new Client({ name: 'real-servers-test', version: '1.0.0' });
      await client.connect(
        transport === 'mcp' ? new StreamableHTTPClientTransport(url) : new SSEClientTransport(url),
      );
      const { tools } = await client.listTools();
      expect(tools.map((x) => x.name)).toContain('search');
      const found = JSON.parse(
        text(await client.callTool({ name: 'search', arguments: { query: transport } })),
      );
      expect(found.results).toHaveLength(2);
      if (name === 'fixture-api-mcp') {
        const wasm = JSON.parse(
          text(await client.callTool({ name: 'wasm_add', arguments: { a: 2, b: 40 } })),
        );
        expect(wasm.sum).toBe(42);
        expect(wasm.memoryBytes[1]).toBe(wasm.memoryBytes[0] + 16 * 65536);
        const worker = JSON.parse(
          text(await client.callTool({ name: 'worker_sum', arguments: { n: 1000 } })),
        );
        expect(worker.sum).toBe(500500);
        const big = text(
          await client.callTool({ name: 'big_output', arguments: { bytes: 3 * 1024 * 1024 } }),
        );
        expect(big.length).toBe(3 * 1024 * 1024);
      }
      await client.close();
    }
  });

  it.each([
    ['npm', 'fixture-api-mcp'],
    ['PyPI', 'fixture-py-api-mcp'],
  ])(
    'a %s server that prints its fatal error on stdout: the answer carries it, apart from stderr',
    async (_kind, name) => {
      const bad = await t.get(`/package/${name}/stdio?${query('bad-key-7f3a9c2e')}`);
      expect(bad.status).toBe(502);
      expect(bad.body.code).toBe('SERVER_START_FAILED');
      expect(bad.body.message).toMatch(/exited with code 1\)\.$/);
      expect(bad.body.guidance.stdoutTail.map((l: string) => JSON.parse(l))).toEqual([
        { level: 'error', msg: 'Invalid API key: authentication failed for this key' },
      ]);
      expect(bad.body.guidance.stderrTail.join('\n')).not.toContain('Invalid API key');
      const missing = await t.get(`/package/${name}/stdio`);
      expect(missing.status).toBe(502);
      expect(missing.body.guidance.stdoutTail.join('\n')).toContain('FIXTURE_API_KEY is required');
      if (name === 'fixture-api-mcp') expect(missing.body.guidance.stdoutTail[0]).toContain('"method":"log"');
      // The key never comes back, not even inside what the server printed.
      expect(JSON.stringify(bad.body)).not.toContain('bad-key-7f3a9c2e');
    },
  );

  it('stops a server that allocates past the default cap as failed for memory; its neighbour serves on', async () => {
    const neighbour = (await t.get(`/package/fixture-api-mcp/stdio?${query('good-neighbour')}`)).body
      .processId;
    const hog = await t.get(`/package/fixture-api-mcp/stdio?${query('good-hog')}`);
    expect(hog.status).toBe(200);
    const id = hog.body.processId as string;
    await t.callTool(id, 'fill_memory');
    const failedInTime = await eventually(
      async () => (await t.get(`/processes/${id}`)).body.status === 'failed',
      30_000,
      200,
    );
    expect(failedInTime).toBe(true);
    const failed = (await t.get(`/processes/${id}`)).body;
    expect(failed.failure).toMatch(/exceeded its memory limit/);
    expect(failed.restarts).toBe(0);
    expect(JSON.parse(await t.callTool(neighbour, 'search', { query: 'still here' })).query).toBe(
      'still here',
    );
    expect((await t.get('/health')).status).toBe(200);
  });
});

describe('the RLIMIT_DATA fallback (CHILD_MEMORY_MECHANISM=rlimit), for hosts without usable cgroups', () => {
  let t: TestGateway;
  let api: FixtureApi;
  beforeAll(async () => {
    api = await startFixtureApi();
    t = await startTestGateway({ sandbox: { memoryMechanism: 'rlimit', hostPorts: [String(api.port)] } });
  });
  afterAll(async () => {
    await t?.close();
    await api?.stop();
  });

  it('keeps fetch() and WebAssembly working under the default cap, and stops a hog for memory', async () => {
    expect((await t.get('/health')).body.sandbox.memoryLimit).toMatchObject({
      mechanism: 'rlimit-data',
      memoryMb: 2048,
    });
    const q = (key: string) => `fixtureApiKey=${key}&fixtureApiUrl=${encodeURIComponent(api.url)}`;
    const ok = await t.get(`/package/fixture-api-mcp/stdio?${q('good-rlimit')}`);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(JSON.parse(await t.callTool(ok.body.processId, 'search', { query: 'x' })).query).toBe('x');
    expect(JSON.parse(await t.callTool(ok.body.processId, 'wasm_add', { a: 1, b: 2 })).sum).toBe(3);
    expect(JSON.parse(await t.callTool(ok.body.processId, 'worker_sum', { n: 100 })).sum).toBe(5050);
    const hog = (await t.get(`/package/fixture-api-mcp/stdio?${q('good-rlimit-hog')}`)).body.processId;
    await t.callTool(hog, 'fill_memory');
    expect(
      await eventually(async () => (await t.get(`/processes/${hog}`)).body.status === 'failed', 30_000, 200),
    ).toBe(true);
    expect((await t.get(`/processes/${hog}`)).body.failure).toMatch(/exceeded its memory limit/);
  });
});

describe('a Python server with numpy, under the default cap', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // numpy itself comes from the indexes pip is configured with on this machine (as an operator's
    // would), next to the fixture index: the setting under test is where packages come from.
    const pip = await pipConfiguredIndexes('python3');
    t = await startTestGateway({
      registry: { pypiExtraIndexUrls: [...(pip.indexUrl ? [pip.indexUrl] : []), ...pip.extraIndexUrls] },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('imports numpy and multiplies matrices (OpenBLAS threads) in the sandbox', {
    timeout: 180_000,
  }, async () => {
    const res = await t.get('/package/pypi:fixture-py-numpy-mcp/stdio');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(JSON.parse(await t.callTool(res.body.processId, 'matmul', { n: 300 })).sum).toBe(300 ** 3);
    expect(t.gw.processes.get(res.body.processId)?.process.stderr.tail().join('\n')).toMatch(/numpy \d/);
  });
});
