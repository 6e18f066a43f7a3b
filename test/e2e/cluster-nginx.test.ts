/**
 * Two gateway instances as one, behind a real nginx (deploy/nginx.conf's upstream, round robin) with a
 * real Redis, at default settings: workers racing to install one package, a TypeScript SDK session of 200
 * calls whose requests land on both instances (progress, sampling, notifications, the GET stream), legacy
 * SSE, the Python SDK client in both eras, cluster-wide views, a Redis restart mid-session, and kill -9 of
 * one instance mid-session.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readChecks, runSuite } from '../support/conformance.js';
import { type GatewayProcess, spawnGateway } from '../support/gateway-process.js';
import { INIT_2025, MCP_HEADERS } from '../support/mcp-raw.js';
import { NGINX, type NginxFront, startNginxFront } from '../support/nginx-front.js';
import { eventually, isAlive, waitDead } from '../support/pids.js';
import { runPythonClient } from '../support/python-client.js';
import { REDIS_SERVER, startRedis, type TestRedis } from '../support/redis.js';

interface InstanceView {
  id: string;
  requests: number;
  forwardedIn: number;
  forwardedOut: number;
  sessions: number;
  processes: number;
}
interface Health {
  status: string;
  cluster: {
    redis: string;
    self: string;
    instances: InstanceView[];
    total: { instances: number; sessions: number };
  };
}

const health = async (url: string) => (await (await fetch(`${url}/health`)).json()) as Health;
/** An instance's own live counters (its /health reports itself live, the others from their heartbeat). */
const own = async (url: string) => {
  const h = await health(url);
  return h.cluster.instances.find((i) => i.id === h.cluster.self) as InstanceView;
};

/** The first snapshot event of the dashboard's stream (within 3 s). */
async function firstSnapshot(url: string) {
  // A safety net only: under load the first snapshot (cluster-wide lists) takes its time.
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
  const data =
    text
      .split('\n')
      .find((l) => l.startsWith('data: '))
      ?.slice(6) ?? '{}';
  return JSON.parse(data) as { health: Health; processes: Array<{ instance: string }>; scope?: string };
}

function withSampling(): Client {
  const client = new Client({ name: 'cluster-test', version: '1.0.0' }, { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    role: 'assistant',
    content: { type: 'text', text: 'sampled through the cluster' },
    model: 'test',
  }));
  return client;
}

async function sdkClient(url: string) {
  const client = withSampling();
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, transport };
}

async function sseClient(url: string) {
  const client = withSampling();
  await client.connect(new SSEClientTransport(new URL(url)));
  return { client };
}

describe.runIf(NGINX && REDIS_SERVER)('two instances behind nginx, on Redis', () => {
  let dir: string;
  let redis: TestRedis;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let front: NginxFront;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcp-cluster-'));
    await chmod(dir, 0o711);
    redis = await startRedis();
    // Workers of one host: one store, one run directory, one Redis.
    const shared = {
      REDIS_URL: redis.url,
      STORE_DIR: path.join(dir, 'store'),
      RUN_DIR: path.join(dir, 'run'),
    };
    [a, b] = await Promise.all([spawnGateway(shared), spawnGateway(shared)]);
    front = await startNginxFront(dir, [Number(new URL(a.url).port), Number(new URL(b.url).port)]);
  }, 120_000);

  afterAll(async () => {
    front?.stop();
    for (const g of [a, b]) if (g && g.child.exitCode === null) g.child.kill('SIGTERM');
    await Promise.all([a?.exited, b?.exited]);
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs a package once when two workers race for it, and both run it', async () => {
    const [ra, rb] = await Promise.all([
      fetch(`${a.url}/package/fixture-echo-mcp/stdio`),
      fetch(`${b.url}/package/fixture-echo-mcp/stdio`),
    ]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    const installs = (a.output() + b.output()).split('\n').filter((l) => l.includes('"package installed"'));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toContain('fixture-echo-mcp');
    const [pa, pb] = [(await ra.json()) as { processId: string }, (await rb.json()) as { processId: string }];
    expect(pa.processId).not.toBe(pb.processId); // each instance runs its own child
    // One cluster, one truth: either instance lists both processes, and stops one held by the other.
    const listed = (await (await fetch(`${front.url}/processes`)).json()) as {
      processes: Array<{ id: string; instance: string }>;
      instances: unknown[];
    };
    expect(listed.instances).toHaveLength(2);
    expect(listed.processes.map((p) => p.id).sort()).toEqual([pa.processId, pb.processId].sort());
    // The dashboard's live snapshot shows the whole cluster too, promptly.
    const snap = await firstSnapshot(`${front.url}/dashboard/events`);
    expect(snap.health.cluster.total.instances).toBe(2);
    expect(new Set(snap.processes.map((p) => p.instance)).size).toBe(2);
    const stopped = await fetch(`${a.url}/processes/${pb.processId}`, { method: 'DELETE' });
    expect(stopped.status).toBe(200);
    const onB = (await (await fetch(`${b.url}/processes?scope=local`)).json()) as { processes: unknown[] };
    expect(onB.processes).toHaveLength(0);
  });

  it('serves a 200-call SDK session through round robin: every instance takes requests, none is lost', async () => {
    const before = await Promise.all([own(a.url), own(b.url)]);
    const { client, transport } = await sdkClient(`${front.url}/package/fixture-echo-mcp/mcp?apiKey=cluster`);
    const changed: unknown[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, async (n) => void changed.push(n));
    const progress: number[] = [];
    for (let i = 0; i < 200; i++) {
      if (i % 40 === 0) {
        const r = await client.callTool({ name: 'progress', arguments: {} }, undefined, {
          onprogress: (p) => progress.push(p.progress),
        });
        expect(r.isError).toBeFalsy();
      } else if (i % 50 === 1) {
        const r = (await client.callTool({ name: 'sample', arguments: {} })) as {
          content: Array<{ text: string }>;
        };
        expect(r.content[0]?.text).toContain('sampled through the cluster');
      } else {
        const r = (await client.callTool({ name: 'echo', arguments: { text: `call ${i}` } })) as {
          content: Array<{ text: string }>;
        };
        expect(r.content[0]?.text).toBe(`call ${i}`);
      }
    }
    await client.callTool({ name: 'notify_list_changed', arguments: {} });
    expect(await eventually(() => changed.length > 0, 30_000)).toBe(true);
    expect(progress.length).toBeGreaterThanOrEqual(5);
    const env = (await client.callTool({ name: 'get_env', arguments: { name: 'API_KEY' } })) as {
      content: Array<{ text: string }>;
    };
    expect(env.content[0]?.text).toBe('cluster');

    // The session lives on one instance; the other forwarded about half of the requests to it.
    const after = await Promise.all([own(a.url), own(b.url)]);
    const took = after.map((x, i) => x.requests - (before[i] as InstanceView).requests);
    expect(Math.min(...took)).toBeGreaterThan(60);
    const forwarded = after.map((x, i) => x.forwardedOut - (before[i] as InstanceView).forwardedOut);
    const received = after.map((x, i) => x.forwardedIn - (before[i] as InstanceView).forwardedIn);
    expect(Math.max(...forwarded)).toBeGreaterThan(60);
    expect(Math.max(...received)).toBeGreaterThan(60);
    const sessionId = transport.sessionId as string;
    // The GET stream is forwarded too: a second one on the same session is refused by its owner (409),
    // wherever it lands, which a request routed to the wrong instance would answer with 404.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${front.url}/package/fixture-echo-mcp/mcp?apiKey=cluster`, {
        headers: {
          accept: 'text/event-stream',
          'mcp-session-id': sessionId,
          'mcp-protocol-version': '2025-11-25',
        },
      });
      expect(res.status).toBe(409);
      await res.body?.cancel();
    }
    await transport.terminateSession();
    await client.close();
  });

  it('serves legacy SSE sessions and the Python client in both eras through the front', async () => {
    const { client } = await sseClient(`${front.url}/package/fixture-echo-mcp/sse?apiKey=sse`);
    for (let i = 0; i < 20; i++) {
      const r = (await client.callTool({ name: 'echo', arguments: { text: `sse ${i}` } })) as {
        content: Array<{ text: string }>;
      };
      expect(r.content[0]?.text).toBe(`sse ${i}`);
    }
    const sampled = (await client.callTool({ name: 'sample', arguments: {} })) as {
      content: Array<{ text: string }>;
    };
    expect(sampled.content[0]?.text).toContain('sampled through the cluster');
    await client.close();
    for (const mode of ['legacy', '2026-07-28']) {
      const out = await runPythonClient(
        inject('pythonClient'),
        `${front.url}/package/fixture-echo-mcp/mcp?apiKey=py-${mode}`,
        mode,
      );
      expect(out).toMatchObject({
        protocolVersion: mode === 'legacy' ? '2025-11-25' : '2026-07-28',
        echo: 'from python',
        apiKey: `py-${mode}`,
        sample: 'client said: python sample',
      });
    }
  });

  it('passes the official conformance suite through the front, every check', {
    timeout: 300_000,
  }, async () => {
    const before = await Promise.all([own(a.url), own(b.url)]);
    const outDir = await mkdtemp(path.join(tmpdir(), 'conformance-cluster-'));
    try {
      const { code, stdout } = await runSuite(`${front.url}/package/fixture-conformance-mcp/mcp`, outDir);
      const checks = await readChecks(outDir);
      const failed = checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
      expect(failed.map((c) => `${c.scenario}/${c.id}: ${c.errorMessage}`)).toEqual([]);
      expect(checks.filter((c) => c.status === 'SUCCESS').length, stdout.slice(-2000)).toBeGreaterThanOrEqual(
        30,
      );
      expect(code, stdout.slice(-2000)).toBe(0);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
    const after = await Promise.all([own(a.url), own(b.url)]);
    // Both instances took the suite's requests, and sessions were forwarded.
    expect(after.every((x, i) => x.requests - (before[i] as InstanceView).requests > 20)).toBe(true);
    expect(
      after.reduce((n, x, i) => n + x.forwardedOut - (before[i] as InstanceView).forwardedOut, 0),
    ).toBeGreaterThan(10);
  });

  it('keeps open sessions serving while Redis restarts; new sessions get a clear 503 until it is back', async () => {
    const { client } = await sdkClient(`${front.url}/package/fixture-echo-mcp/mcp`);
    await redis.kill();
    try {
      for (let i = 0; i < 20; i++) {
        const r = (await client.callTool({ name: 'echo', arguments: { text: `outage ${i}` } })) as {
          content: Array<{ text: string }>;
        };
        expect(r.content[0]?.text).toBe(`outage ${i}`);
      }
      const refused = await fetch(`${front.url}/package/fixture-echo-mcp/mcp`, {
        method: 'POST',
        headers: MCP_HEADERS,
        body: INIT_2025,
      });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await refused.json()).toMatchObject({
        code: 'CLUSTER_UNAVAILABLE',
        guidance: { need: expect.any(String) },
      });
      expect((await health(a.url)).status).toBe('degraded');
      // The dashboard goes on with what this instance knows, and says so.
      const snap = await firstSnapshot(`${a.url}/dashboard/events`);
      expect(snap.scope).toBe('local');
      expect(snap.processes.length).toBeGreaterThan(0);
    } finally {
      await redis.start();
    }
    expect(await eventually(async () => (await health(front.url)).cluster.redis === 'ok', 15_000, 200)).toBe(
      true,
    );
    // Back with an empty Redis: both instances re-publish themselves and their sessions.
    expect(
      await eventually(async () => (await health(a.url)).cluster.total.instances === 2, 30_000, 200),
    ).toBe(true);
    const again = await sdkClient(`${front.url}/package/fixture-echo-mcp/mcp`);
    await again.client.callTool({ name: 'echo', arguments: { text: 'after' } });
    await again.client.close();
    const r = (await client.callTool({ name: 'echo', arguments: { text: 'still here' } })) as {
      content: Array<{ text: string }>;
    };
    expect(r.content[0]?.text).toBe('still here');
    await client.close();
  });

  it('survives kill -9 of one instance: its sessions get 404, its children die, the other serves on', async () => {
    const ids = await Promise.all([own(a.url), own(b.url)]);
    const idA = (ids[0] as InstanceView).id;
    // Sessions until one is held by A and one by B.
    const held = new Map<string, Awaited<ReturnType<typeof sdkClient>>>();
    for (let i = 0; i < 10 && held.size < 2; i++) {
      const s = await sdkClient(`${front.url}/package/fixture-echo-mcp/mcp?apiKey=k${i}`);
      const owner = (s.transport.sessionId as string).split('.')[0] as string;
      if (held.has(owner)) await s.client.close();
      else held.set(owner, s);
    }
    expect(held.size).toBe(2);
    const onA = (await (await fetch(`${a.url}/processes?scope=local`)).json()) as {
      processes: Array<{ pid: number }>;
    };
    const childPids = onA.processes.map((p) => p.pid).filter(Boolean);
    expect(childPids.length).toBeGreaterThan(0);
    a.child.kill('SIGKILL');
    await a.exited;
    expect(await waitDead(childPids, 10_000)).toBe(true);
    expect(childPids.some(isAlive)).toBe(false);

    const sessionOfA = held.get(idA)?.transport.sessionId as string;
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${front.url}/package/fixture-echo-mcp/mcp?apiKey=k0`, {
        method: 'POST',
        headers: { ...MCP_HEADERS, 'mcp-session-id': sessionOfA, 'mcp-protocol-version': '2025-11-25' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
      });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'SESSION_NOT_FOUND' });
    }
    const survivor = [...held.entries()].find(([owner]) => owner !== idA)?.[1];
    for (let i = 0; i < 10; i++) {
      const r = (await survivor?.client.callTool({ name: 'echo', arguments: { text: `on ${i}` } })) as {
        content: Array<{ text: string }>;
      };
      expect(r.content[0]?.text).toBe(`on ${i}`);
    }
    // Within three heartbeats the dead instance is gone from the directory.
    expect(
      await eventually(async () => (await health(b.url)).cluster.total.instances === 1, 30_000, 250),
    ).toBe(true);
    await survivor?.client.close();
  });
});
