import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InstanceDir } from '../../src/process/instance-dir.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';

describe('package store', () => {
  let t: TestGateway | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("removes what interrupted installs of dead gateways left at start-up, never a live neighbour's", async () => {
    t = await startTestGateway();
    const storeDir = t.gw.config.store.dir;
    const staging = path.join(storeDir, '.staging');
    const host = hostname().replace(/[^A-Za-z0-9-]/g, '_');
    // A gateway of this host whose pid is gone, mid-install; an old layout's leftover from an hour ago.
    const dead = path.join(staging, `${host}.99999999.0badc0de`);
    await mkdir(path.join(dead, 'half-done', 'node_modules'), { recursive: true });
    await writeFile(path.join(dead, '.alive'), '');
    const old = path.join(staging, 'half-done-old-layout');
    await mkdir(old);
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(old, hourAgo, hourAgo);
    // A live neighbour on the same store (this very process is alive) with an install under way.
    const neighbour = await InstanceDir.claim(staging);
    await mkdir(path.join(neighbour.path, 'installing'));
    await mkdir(path.join(storeDir, 'npm', 'fixture-echo-mcp@9.9.9', 'node_modules'), { recursive: true });
    await writeFile(path.join(storeDir, 'npm', 'fixture-echo-mcp@9.9.9', 'package.json'), '{}');
    await t.gw.store.init();
    expect(await readdir(path.join(storeDir, 'npm'))).toEqual([]);
    const left = await readdir(staging);
    expect(left).not.toContain(path.basename(dead));
    expect(left).not.toContain('half-done-old-layout');
    expect(await readdir(neighbour.path)).toContain('installing');
    await neighbour.release();
  });

  it('prunes least-recently-used packages over the size cap, never one in use', async () => {
    t = await startTestGateway({ store: { maxBytes: 1 } });
    const a = await t.get('/package/fixture-echo-mcp@1.0.0/stdio');
    await t.get(`/processes/${a.body.processId}`, { method: 'DELETE' });
    const b = await t.get('/package/fixture-echo-mcp@1.1.0/stdio');
    expect(b.status).toBe(200);
    const keys = (await t.gw.store.list()).map((p) => p.key);
    expect(keys).toEqual(['npm/fixture-echo-mcp@1.1.0']);
    const c = await t.get('/package/@fixtures/scoped-mcp/stdio');
    expect(c.status).toBe(200);
    const after = (await t.gw.store.list()).map((p) => p.key).sort();
    expect(after).toEqual(['npm/@fixtures+scoped-mcp@1.0.0', 'npm/fixture-echo-mcp@1.1.0']);
    expect(t.logs.join('')).toContain('store over its cap');
  });

  it('never prunes a package that another gateway on the same store runs', async () => {
    t = await startTestGateway({ store: { maxBytes: 1 } });
    const shared = t.gw.config.store.dir;
    const neighbour = await startTestGateway({ store: { maxBytes: 1, dir: shared } });
    try {
      const a = await t.get('/package/fixture-echo-mcp@1.0.0/stdio');
      expect(a.status).toBe(200);
      // The neighbour's install puts the store over its cap: its pruning must spare what `t` runs.
      const b = await neighbour.get('/package/@fixtures/scoped-mcp/stdio');
      expect(b.status).toBe(200);
      const keys = (await neighbour.gw.store.list()).map((p) => p.key).sort();
      expect(keys).toEqual(['npm/@fixtures+scoped-mcp@1.0.0', 'npm/fixture-echo-mcp@1.0.0']);
      expect(neighbour.logs.join('')).toContain('store over its cap');
      // And the one it spared still serves.
      const again = await t.get(`/processes/${a.body.processId}`);
      expect(again.body.status).toBe('running');
    } finally {
      await neighbour.close();
    }
  });

  it('installs different packages concurrently', async () => {
    t = await startTestGateway();
    const specs = [
      'fixture-echo-mcp@1.0.0',
      'fixture-echo-mcp@1.1.0',
      '@fixtures/scoped-mcp',
      'fixture-multi-bin-mcp',
    ];
    const answers = await Promise.all(specs.map((s) => t?.get(`/package/${s}/stdio`)));
    expect(answers.map((a) => a?.status)).toEqual([200, 200, 200, 200]);
    expect(t.gw.store.stats().packages).toBe(4);
  });
});

describe('operator endpoints', () => {
  let t: TestGateway | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('reports health, listings, logs and metrics with secrets masked', async () => {
    t = await startTestGateway();
    const secret = 'top-secret-value-42';
    const launched = await t.get(
      `/package/fixture-echo-mcp/stdio?apiKey=${secret}&args=--api-key%3D${secret}`,
    );
    expect(launched.status).toBe(200);
    expect(
      launched.body.connectionInfo.args.filter((a: string) => !a.startsWith('--max-old-space-size')).slice(1),
    ).toEqual(['--api-key=***']);

    const health = await t.get('/health');
    expect(health.body).toMatchObject({
      status: 'ok',
      processes: { active: 1, max: 10, byStatus: { running: 1 } },
      store: { packages: 1 },
    });
    expect(health.body.store.bytes).toBeGreaterThan(0);
    expect(typeof health.body.uptimeSeconds).toBe('number');

    const list = await t.get('/processes');
    expect(list.body.total).toBe(1);
    expect(list.body.processes[0]).toMatchObject({
      id: launched.body.processId,
      packageName: 'fixture-echo-mcp',
      version: '2.0.0',
      status: 'running',
      restarts: 0,
    });
    expect(list.body.processes[0].pid).toBeGreaterThan(0);
    expect(list.body.processes[0].memoryBytes).toBeGreaterThan(1_000_000);

    const logs = await t.get(`/processes/${launched.body.processId}/logs?lines=5`);
    expect(logs.body.lines.join('\n')).toContain('fixture-echo-mcp@2.0.0 starting');
    expect(logs.body.lines.join('\n')).toContain('config: API_KEY=***');

    const metrics = await t.gw.app.request('/metrics');
    const text = await metrics.text();
    expect(text).toContain('mcp_gateway_launches_total{registry="npm",outcome="started"} 1');
    expect(text).toContain('mcp_gateway_processes_active 1');

    const everything = [
      JSON.stringify(launched.body),
      JSON.stringify(list.body),
      JSON.stringify(health.body),
      JSON.stringify(logs.body),
      text,
      t.logs.join(''),
    ];
    for (const s of everything) expect(s).not.toContain(secret);
  });

  it('serves API docs as HTML to browsers and JSON otherwise, with security headers', async () => {
    t = await startTestGateway();
    const html = await t.gw.app.request('/', { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    expect(await html.text()).toContain('/package/{packageName}');
    expect(html.headers.get('x-content-type-options')).toBe('nosniff');
    const json = await t.get('/', { headers: { accept: 'application/json' } });
    expect(json.body.examples.length).toBeGreaterThan(2);
    // The examples name the address the page was asked on, not a default port.
    const served = await t.serve();
    const page = await (await fetch(served, { headers: { accept: 'text/html' } })).text();
    expect(page).toContain(`curl &#34;${served}/package/`);
    expect(page).not.toContain('localhost:3000');
    expect(json.body.parameterMapping.apiKey).toBe('API_KEY');
    // Both name the dashboard; browsers find its icon where they look for one.
    const docs = (await (await fetch(served, { headers: { accept: 'application/json' } })).json()) as {
      dashboard: string;
    };
    expect(docs.dashboard).toBe(`${served}/dashboard`);
    expect(page).toContain('<a href="/dashboard">');
    const icon = await fetch(`${served}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
  });

  it('answers JSON errors for unknown routes and processes', async () => {
    t = await startTestGateway();
    expect((await t.get('/nope')).body).toMatchObject({ code: 'ROUTE_NOT_FOUND', error: 'Not found' });
    expect((await t.get('/processes/nope')).status).toBe(404);
    expect((await t.get('/logs/nope')).body.code).toBe('PROCESS_NOT_FOUND');
    expect((await t.get('/processes/nope', { method: 'DELETE' })).status).toBe(404);
  });
});
