/**
 * deploy/ecosystem.config.cjs as a PM2 cluster of two workers on one port, with a real Redis and the
 * settings taken from the shell `pm2 start` runs in: a TypeScript SDK session whose requests (one
 * connection each, as many clients' would be) land on both workers; legacy SSE the same way; the Python
 * client in its legacy and 2026-07-28 modes; `pm2 reload` while a call is in
 * flight, which finishes before its worker goes; and no orphan children after `pm2 delete`.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { prepareCheckout } from '../support/checkout.js';
import { freshConnectionFetch } from '../support/fresh-fetch.js';
import { freePort, waitForHttp } from '../support/net.js';
import { eventually, isAlive, waitDead } from '../support/pids.js';
import { runPythonClient } from '../support/python-client.js';
import { REDIS_SERVER, startRedis, type TestRedis } from '../support/redis.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const PM2 = path.join(ROOT, 'node_modules/.bin/pm2');

interface Instance {
  id: string;
  pid: number;
  requests: number;
  forwardedOut: number;
  forwardedIn: number;
}
type Text = { content: Array<{ text: string }> };

describe.runIf(REDIS_SERVER)('a PM2 cluster of two workers (deploy/ecosystem.config.cjs)', () => {
  let dir: string;
  let redis: TestRedis;
  const env = () => ({
    ...process.env,
    PM2_HOME: path.join(dir, 'pm2-home'),
    MCP_REGISTRY_ENV_FILE: path.join(dir, 'none.env'),
  });
  afterAll(async () => {
    if (dir) await run(PM2, ['kill'], { env: env() }).catch(() => undefined);
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves one session from both workers, drains on reload, and leaves no orphans', {
    timeout: 240_000,
  }, async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcp-pm2-cluster-'));
    await chmod(dir, 0o711);
    redis = await startRedis();
    const app = await prepareCheckout(dir);
    const reg = inject('registries');
    const port = await freePort();
    // Settings from the shell pm2 start runs in, as on any host.
    const shell = {
      ...env(),
      PORT: String(port),
      REDIS_URL: redis.url,
      STORE_DIR: path.join(dir, 'store'),
      RUN_DIR: path.join(dir, 'run'),
      NPM_REGISTRY_URL: reg.npm,
      NPM_DOWNLOADS_API_URL: reg.downloads,
    };
    await run(PM2, ['start', path.join(app, 'deploy', 'ecosystem.config.cjs')], {
      env: shell,
      timeout: 60_000,
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/health`, 30_000);
    const cluster = async () =>
      ((await (await fetch(`${url}/health`)).json()) as { cluster: { instances: Instance[] } }).cluster
        .instances;
    expect(await eventually(async () => (await cluster()).length === 2, 20_000, 200)).toBe(true);
    const { stdout } = await run(PM2, ['jlist'], { env: env() });
    const workers = JSON.parse(stdout) as Array<{
      pid: number;
      pm2_env: { exec_mode: string; status: string };
    }>;
    expect(workers).toHaveLength(2);
    expect(
      workers.every((w) => w.pm2_env.exec_mode === 'cluster_mode' && w.pm2_env.status === 'online'),
    ).toBe(true);

    const client = new Client({ name: 'pm2-cluster', version: '1' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: 'assistant',
      content: { type: 'text', text: 'sampled by pm2 test' },
      model: 'test',
    }));
    const mcpUrl = new URL(`${url}/package/fixture-echo-mcp/mcp?apiKey=pm2`);
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { fetch: freshConnectionFetch }));
    const progress: number[] = [];
    for (let i = 0; i < 60; i++) {
      if (i % 20 === 0) {
        await client.callTool({ name: 'progress', arguments: {} }, undefined, {
          onprogress: (p) => progress.push(p.progress),
        });
      } else if (i % 20 === 1) {
        const r = (await client.callTool({ name: 'sample', arguments: {} })) as Text;
        expect(r.content[0]?.text).toContain('sampled by pm2 test');
      } else {
        const r = (await client.callTool({ name: 'echo', arguments: { text: `pm2 ${i}` } })) as Text;
        expect(r.content[0]?.text).toBe(`pm2 ${i}`);
      }
    }
    expect(progress.length).toBeGreaterThanOrEqual(3);
    // Both workers took requests; one forwarded to the other (heartbeat counters, up to a beat old).
    await new Promise((r) => setTimeout(r, 2500));
    const seen = await cluster();
    expect(seen.every((i) => i.requests > 10)).toBe(true);
    expect(Math.max(...seen.map((i) => i.forwardedOut))).toBeGreaterThan(10);

    // Legacy SSE (the stream on one worker, the POSTs spread) and the Python client in both eras.
    const sse = new Client({ name: 'pm2-sse', version: '1' });
    await sse.connect(
      new SSEClientTransport(new URL(`${url}/package/fixture-echo-mcp/sse`), { fetch: freshConnectionFetch }),
    );
    for (let i = 0; i < 10; i++) {
      const r = (await sse.callTool({ name: 'echo', arguments: { text: `sse ${i}` } })) as Text;
      expect(r.content[0]?.text).toBe(`sse ${i}`);
    }
    await sse.close();
    for (const mode of ['legacy', '2026-07-28']) {
      const out = await runPythonClient(
        inject('pythonClient'),
        `${url}/package/fixture-echo-mcp/mcp?apiKey=py`,
        mode,
      );
      expect(out).toMatchObject({ echo: 'from python', apiKey: 'py', sample: 'client said: python sample' });
    }

    // pm2 reload while a slow call is in flight: the call finishes, then its worker goes.
    const slow = client.callTool({ name: 'slow', arguments: { ms: 3000 } }) as Promise<Text>;
    await new Promise((r) => setTimeout(r, 300));
    await run(PM2, ['reload', 'mcp-registry-server'], { env: shell, timeout: 120_000 });
    const done = await slow.catch((e: unknown) => e);
    expect((done as Text).content?.[0]?.text).toBe('slept 3000 ms');

    // The reloaded workers take their time to listen on a loaded machine: wait for them, not a timer.
    await waitForHttp(`${url}/health`, 60_000);
    const procs = (await (await fetch(`${url}/processes`)).json()) as { processes: Array<{ pid: number }> };
    const childPids = procs.processes.map((p) => p.pid).filter(Boolean);
    const after = JSON.parse((await run(PM2, ['jlist'], { env: env() })).stdout) as Array<{ pid: number }>;
    await run(PM2, ['delete', 'mcp-registry-server'], { env: env(), timeout: 120_000 });
    expect(await waitDead([...after.map((w) => w.pid), ...childPids], 15_000)).toBe(true);
    expect(childPids.some(isAlive)).toBe(false);
    await client.close().catch(() => undefined);
  });
});
