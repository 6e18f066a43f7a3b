/**
 * Hostile fixture servers in the bubblewrap sandbox: each attack must fail or be stopped, and the gateway
 * must keep serving the others. Needs bubblewrap (CI installs it); /health must report the sandbox.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { eventually, processesWith } from '../support/pids.js';

const GATEWAY_SECRET = `gw-secret-${Date.now()}`;
const OTHER_SECRET = `other-child-secret-${Date.now()}`;

interface Attempt {
  path: string;
  ok: boolean;
  value?: string;
  error?: string;
}

describe('sandboxed children against hostile servers', () => {
  let t: TestGateway;
  let echoId: string;
  let configFile: string;
  const launch = async (spec: string, query = '') => {
    const res = await t.get(`/package/${spec}/stdio${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.processId as string;
  };
  /** The installed package directory of a process (its entry point is node_modules/<name>/server.cjs). */
  const packageRoot = (id: string) => {
    const entry = t.gw.processes.get(id)?.meta.connectionInfo.args.at(-1) ?? '';
    return entry.slice(0, entry.indexOf('/node_modules/'));
  };
  /** A process's private run directory (its home and tmp live there). */
  const runOf = (id: string) => path.dirname(t.gw.processes.get(id)?.process.homeDir ?? '/nonexistent/home');
  const call = async (id: string, tool: string, args: Record<string, unknown> = {}) =>
    JSON.parse(await t.callTool(id, tool, args));

  beforeAll(async () => {
    process.env.GATEWAY_TEST_SECRET = GATEWAY_SECRET; // the gateway's own environment
    t = await startTestGateway({
      // The limits its tests are about (memory, processes); CPU time has a gateway of its own below, so
      // that no test races one limit against another on a loaded machine.
      sandbox: { memoryMb: 1024, processes: 64 },
      process: { maxRestarts: 3, warmPoolSize: 0 },
    });
    const sandbox = (await t.get('/health')).body.sandbox;
    // Never let the hostile fixtures loose on this machine without the sandbox.
    if (sandbox.mode !== 'bwrap')
      throw new Error(`bubblewrap sandbox unavailable (${sandbox.reason}); refusing to run hostile fixtures`);
    configFile = path.join(t.dir, 'gateway.env');
    await writeFile(configFile, `API_KEYS=ops:admin:${GATEWAY_SECRET}\n`);
    echoId = await launch('fixture-echo-mcp', `?apiKey=${OTHER_SECRET}`);
  });
  afterAll(async () => {
    delete process.env.GATEWAY_TEST_SECRET;
    await t?.close();
  });

  it('reports the bubblewrap sandbox on /health', async () => {
    const health = await t.get('/health');
    // This machine (and CI's) offers a writable cgroup v1 memory hierarchy to root.
    expect(health.body.sandbox).toEqual({
      mode: 'bwrap',
      memoryLimit: {
        mechanism: expect.stringMatching(/^cgroup-v[12]$/),
        memoryMb: 1024,
        childrenMemoryMb: expect.any(Number),
      },
      network: { mode: 'isolated', hostPorts: [], allowNets: [] },
      disk: { mechanism: 'tmpfs', diskMb: 512 },
    });
  });

  it('cannot read the gateway config, its files, another package or another child; reads its own package', async () => {
    const id = await launch('fixture-hostile-mcp', '?n=read');
    const ownPkg = packageRoot(id);
    const echoPkg = packageRoot(echoId);
    const echoRun = runOf(echoId);
    const results: Attempt[] = await call(id, 'read_paths', {
      paths: [
        configFile,
        path.join(process.cwd(), 'package.json'),
        path.join(process.cwd(), 'src'),
        path.join(echoPkg, 'package.json'),
        echoRun,
        path.join(echoRun, 'home'),
        '/etc/shadow',
        '/root',
        '/var/log',
      ],
    });
    for (const r of results) expect(r, r.path).toMatchObject({ ok: false });
    // The store and run dir exist only as the path down to its own directories.
    const skeleton: Attempt[] = await call(id, 'read_paths', {
      paths: [path.dirname(ownPkg), path.dirname(runOf(id))],
    });
    expect(skeleton[0]?.value?.split(',')).toEqual([path.basename(ownPkg)]);
    expect(skeleton[1]?.value?.split(',')).toEqual([id]);
    expect(JSON.stringify([results, skeleton])).not.toContain(GATEWAY_SECRET);
    const mine: Attempt[] = await call(id, 'read_paths', {
      paths: [path.join(ownPkg, 'package.json'), '/etc/hosts'],
    });
    expect(mine.map((r) => r.ok)).toEqual([true, true]);
    expect(mine[0]?.value).toContain('fixture-hostile-mcp');
  });

  it("sees no other process's environment, neither the gateway's nor another child's", async () => {
    const id = await launch('fixture-hostile-mcp', '?n=environ');
    const scan = await call(id, 'scan_environ');
    expect(scan.pids.length).toBeLessThan(5); // its own PID namespace
    const seen = JSON.stringify(scan.readable);
    expect(seen).not.toContain(GATEWAY_SECRET);
    expect(seen).not.toContain(OTHER_SECRET);
    expect(seen).not.toContain('GATEWAY_TEST_SECRET');
  });

  it('writes only inside its private home and tmp', async () => {
    const id = await launch('fixture-hostile-mcp', '?n=write');
    const info = await call(id, 'get_info');
    const ownPkg = packageRoot(id);
    const readOnly = [path.join(ownPkg, 'pwned'), '/usr/pwned', '/etc/pwned', '/pwned'];
    const hostPaths = [
      path.join(t.gw.config.store.dir, 'pwned'),
      path.join(packageRoot(echoId), 'pwned'),
      path.join(runOf(echoId), 'home', 'pwned'),
      path.join(t.dir, 'pwned'),
      path.join(process.cwd(), 'pwned'),
      '/tmp/pwned-by-hostile',
    ];
    const results: Attempt[] = await call(id, 'write_paths', {
      paths: [...readOnly, ...hostPaths, path.join(info.home, 'ok')],
    });
    expect(results.slice(0, readOnly.length).map((r) => r.ok)).toEqual(readOnly.map(() => false));
    expect(results.at(-1)?.ok).toBe(true);
    // Whatever "succeeded" landed in its private tmpfs (paths below /tmp) or failed: nothing on the host,
    // not even its own home, which is a tmpfs of CHILD_DISK_MB in the sandbox.
    for (const p of [...readOnly, ...hostPaths]) expect(existsSync(p), p).toBe(false);
    expect(existsSync(path.join(info.home, 'ok'))).toBe(false);
    expect((await call(id, 'read_paths', { paths: [path.join(info.home, 'ok')] }))[0]).toMatchObject({
      ok: true,
      value: 'pwned',
    });
  });

  it('fills its disk only up to the default cap: ENOSPC, the host disk and its neighbours untouched', async () => {
    const id = await launch('fixture-hostile-mcp', '?n=disk');
    const info = await call(id, 'get_info');
    const capMb = t.gw.config.sandbox.diskMb;
    expect(capMb).toBe(512);
    const filled = await call(id, 'fill_disk', { dir: info.home, mb: capMb * 2 });
    expect(filled.error).toBe('ENOSPC');
    expect(filled.writtenMb).toBeLessThanOrEqual(capMb);
    expect(filled.writtenMb).toBeGreaterThan(capMb / 2);
    // Nothing reached the host: its run directory holds no data.
    const usedKb = Number(execFileSync('du', ['-sk', runOf(id)], { encoding: 'utf8' }).split('\t')[0]);
    expect(usedKb).toBeLessThan(1024);
    // It serves on (its tmpfs is full, not the machine), and so does its neighbour.
    expect(await t.callTool(echoId, 'echo', { text: 'neighbour' })).toBe('neighbour');
    expect(await call(id, 'get_info')).toMatchObject({ home: info.home });
    expect((await t.get('/health')).body.sandbox.disk).toEqual({ mechanism: 'tmpfs', diskMb: 512 });
  });

  it('cannot fork-bomb: process creation stops at the limit and the gateway serves on', async () => {
    const id = await launch('fixture-hostile-mcp', '?n=bomb');
    const bomb = await call(id, 'fork_bomb', { count: 2000 });
    expect(bomb.started).toBeLessThan(64);
    expect(bomb.error).toBeTruthy();
    expect(await t.callTool(echoId, 'echo', { text: 'still here' })).toBe('still here');
    expect((await t.get('/health')).status).toBe(200);
  });

  it('leaves no daemon behind when its server is stopped', async () => {
    const marker = `daemon-marker-${Date.now()}`;
    const id = await launch('fixture-hostile-mcp', '?n=daemon');
    const spawned = await call(id, 'spawn_daemon', { marker });
    expect(spawned.pid).toBeGreaterThan(0);
    expect(await eventually(() => processesWith(marker).length > 0, 30_000)).toBe(true);
    expect((await t.get(`/processes/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect(await eventually(() => processesWith(marker).length === 0, 30_000)).toBe(true);
  });

  it('stops and reports a server that fills its memory, without restarting it', async () => {
    const id = await launch('fixture-hostile-mcp', '?n=memory');
    await call(id, 'fill_memory');
    // Waits for the outcome (the cap is only a safety net below the test's own timeout).
    expect(await eventually(() => t.gw.processes.get(id)?.process.status === 'failed', 50_000)).toBe(true);
    const listed = await t.get(`/processes/${id}`);
    expect(listed.body.failure).toMatch(/exceeded its memory limit/);
    expect(listed.body.restarts).toBe(0);
    expect(await t.callTool(echoId, 'echo', { text: 'alive' })).toBe('alive');
  });
});

describe('the CPU time limit (CHILD_CPU_SECONDS)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ sandbox: { cpuSeconds: 2 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stops a server that burns through its CPU time', async () => {
    const res = await t.get('/package/fixture-hostile-mcp/stdio?n=cpu');
    expect(res.status).toBe(200);
    const id = res.body.processId as string;
    await t.callTool(id, 'burn_cpu');
    // CPU seconds accrue only while it runs: on a loaded machine that takes longer, so wait for the event.
    expect(await eventually(() => t.gw.processes.get(id)?.process.status === 'failed', 50_000)).toBe(true);
    expect(t.gw.processes.get(id)?.process.failure).toMatch(/CPU time/);
  });
});
