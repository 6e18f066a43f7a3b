/**
 * Cluster benchmark: the same MCP server (@modelcontextprotocol/server-everything) and the same SDK
 * client through one gateway instance (no Redis) and through a cluster of two instances on one Redis,
 * on this machine, at default settings:
 *  - sequential tools/call latency p50/p99 of one session: on one instance; in the cluster with every
 *    request on the instance that holds the session; and with every request on the other instance,
 *    which forwards it (the added latency of a forwarded request);
 *  - 2026-07-28 stateless calls, served by whichever instance they reach (no forwarding);
 *  - throughput of 16 sessions, one instance vs the cluster with the sessions split between the two
 *    instances: every request on its session's owner, and requests alternating between the instances
 *    (half of them forwarded), as behind a round-robin load balancer.
 * Prints the table with ratios and writes bench/results/cluster-bench.md. Run: npm run bench:cluster
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { callRate, freePort, pct, sequentialLatency, start, stopAll, waitFor } from './bench-support.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const PKG = '@modelcontextprotocol/server-everything';
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 500);
const WARM_UP = Number(process.env.BENCH_WARM_UP ?? 300);
const SESSIONS = 16;
const THROUGHPUT_MS = Number(process.env.BENCH_THROUGHPUT_MS ?? 5000);
const REDIS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));

type Fetch = typeof fetch;

/** A fetch that sends the initialize to `first` and every later request to `pick()`. */
function routed(first: string, pick: () => string): Fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const isInit = typeof init?.body === 'string' && init.body.includes('"method":"initialize"');
    const target = new URL(isInit ? first : pick());
    url.host = target.host;
    return fetch(url, init);
  };
}

async function connect(url: string, fetchVia?: Fetch): Promise<Client> {
  const client = new Client({ name: 'cluster-bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), fetchVia ? { fetch: fetchVia } : {}));
  return client;
}

const echo = (c: Client, message: string) => c.callTool({ name: 'echo', arguments: { message } });

async function latency(client: Client): Promise<{ p50: number; p99: number }> {
  const result = await sequentialLatency(SEQUENTIAL, WARM_UP, (i) => echo(client, `m${i}`));
  await client.close();
  return result;
}

/**
 * Sequential calls of several clients taken in turn, one call each per round (this VM's speed drifts:
 * side by side, the differences are the hops', not the minute's).
 */
async function latencies(clients: Client[]): Promise<Lat[]> {
  const lat: number[][] = clients.map(() => []);
  for (let i = 0; i < WARM_UP; i++) for (const c of clients) await echo(c, `w${i}`);
  for (let i = 0; i < SEQUENTIAL; i++)
    for (const [k, c] of clients.entries()) {
      const s = performance.now();
      await echo(c, `m${i}`);
      lat[k]?.push(performance.now() - s);
    }
  await Promise.all(clients.map((c) => c.close()));
  return lat.map((l) => ({ p50: pct(l, 50), p99: pct(l, 99) }));
}

/** 2026-07-28 stateless tools/call (no session: served by the instance the request reaches). */
async function modernLatency(url: string): Promise<{ p50: number; p99: number }> {
  const call = async (i: number) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'echo',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: i,
        method: 'tools/call',
        params: {
          name: 'echo',
          arguments: { message: `s${i}` },
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientInfo': { name: 'cluster-bench', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      }),
    });
    const text = await res.text();
    if (res.status !== 200 || !text.includes(`s${i}`))
      throw new Error(`stateless call failed: ${res.status} ${text.slice(0, 200)}`);
  };
  return sequentialLatency(SEQUENTIAL, WARM_UP, call);
}

async function throughput(clients: Client[]): Promise<number> {
  const rate = await callRate(clients, THROUGHPUT_MS, (c) => echo(c, 'load'));
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  return rate;
}

async function gateway(dir: string, env: Record<string, string>): Promise<string> {
  const port = await freePort();
  // Profiling: BENCH_GATEWAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' (the gateways only).
  const nodeArgs = process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  start(process.execPath, [...nodeArgs, path.join(ROOT, 'dist/main.js')], {
    ...process.env,
    PORT: String(port),
    STORE_DIR: path.join(dir, 'store'),
    RUN_DIR: path.join(dir, 'run'),
    LOG_DIR: path.join(dir, `logs-${port}`),
    NPM_DOWNLOADS_API_URL: 'http://127.0.0.1:9',
    ...env,
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/health`);
  return base;
}

async function main(): Promise<void> {
  if (!REDIS) throw new Error('redis-server is needed: apt-get install redis-server');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-cluster-bench-'));
  await chmod(dir, 0o711);
  try {
    const redisPort = await freePort();
    start(REDIS, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    // One store for all three (installed once); the single instance has no Redis.
    const single = await gateway(dir, {});
    const res = await fetch(`${single}/package/${PKG}/stdio`);
    const launched = (await res.json()) as { version: string };
    if (res.status !== 200) throw new Error(`could not launch ${PKG}: ${JSON.stringify(launched)}`);
    const [a, b] = await Promise.all([
      gateway(dir, { REDIS_URL: redisUrl }),
      gateway(dir, { REDIS_URL: redisUrl }),
    ]);
    const mcp = (base: string) => `${base}/package/${PKG}@${launched.version}/mcp`;

    process.stderr.write('one instance …\n');
    const one = await latency(await connect(mcp(single)));
    const oneModern = await modernLatency(mcp(single));
    // The floor of one more hop: a minimal Node proxy in front of the owner.
    const proxyPort = await freePort();
    start(process.execPath, [
      '--import',
      'tsx',
      path.join(import.meta.dirname, 'minimal-proxy.ts'),
      String(proxyPort),
      new URL(a).port,
    ]);
    await waitFor(`http://127.0.0.1:${proxyPort}/health`);
    const proxied = (base: string) => base.replace(new URL(a).host, `127.0.0.1:${proxyPort}`);
    process.stderr.write('cluster: on the owner, forwarded, through a minimal proxy, in turn …\n');
    const [local, forwarded, floor] = (await latencies([
      await connect(mcp(a)),
      await connect(
        mcp(a),
        routed(mcp(a), () => mcp(b)),
      ),
      await connect(proxied(mcp(a))),
    ])) as [Lat, Lat, Lat];
    const clusterModern = await modernLatency(mcp(b));
    process.stderr.write('throughput …\n');
    const oneRate = await throughput(
      await Promise.all(Array.from({ length: SESSIONS }, () => connect(mcp(single)))),
    );
    const ownerRate = await throughput(
      await Promise.all(Array.from({ length: SESSIONS }, (_, i) => connect(mcp(i % 2 ? a : b)))),
    );
    let turn = 0;
    const alternate = () => mcp(turn++ % 2 ? a : b);
    const clusterRate = await throughput(
      await Promise.all(
        Array.from({ length: SESSIONS }, (_, i) =>
          connect(mcp(i % 2 ? a : b), routed(mcp(i % 2 ? a : b), alternate)),
        ),
      ),
    );
    await report({
      one,
      oneModern,
      local,
      forwarded,
      floor,
      clusterModern,
      oneRate,
      ownerRate,
      clusterRate,
      version: launched.version,
    });
  } finally {
    await stopAll();
    await rm(dir, { recursive: true, force: true });
  }
}

interface Lat {
  p50: number;
  p99: number;
}

async function report(r: {
  one: Lat;
  oneModern: Lat;
  local: Lat;
  forwarded: Lat;
  floor: Lat;
  clusterModern: Lat;
  oneRate: number;
  ownerRate: number;
  clusterRate: number;
  version: string;
}): Promise<void> {
  const ms = (v: number) => v.toFixed(2);
  const signed = (v: number) => `${v < 0 ? '-' : '+'}${Math.abs(v).toFixed(2)}`;
  const x = (ours: number, base: number) => `${(ours / base).toFixed(2)}x`;
  const row = (name: string, l: Lat, base: Lat) =>
    `| ${name} | ${ms(l.p50)} | ${ms(l.p99)} | ${x(l.p50, base.p50)} | ${x(l.p99, base.p99)} |`;
  const table = [
    `${PKG}@${r.version}, same SDK client; ${SEQUENTIAL} sequential calls after ${WARM_UP} to warm up; ${SESSIONS} sessions for ${THROUGHPUT_MS / 1000} s; two instances and Redis on this 2-core machine, default settings; node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| one session, tools/call | p50 ms | p99 ms | p50 vs one instance | p99 vs one instance |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('one instance (no Redis)', r.one, r.one),
    row('cluster, requests on the owner', r.local, r.one),
    row('cluster, every request forwarded', r.forwarded, r.one),
    row('floor: owner behind a minimal Node proxy (bench/minimal-proxy.ts)', r.floor, r.one),
    row('one instance, 2026-07-28 stateless', r.oneModern, r.oneModern),
    row('cluster, 2026-07-28 stateless (served where it lands)', r.clusterModern, r.oneModern),
    '',
    `Added latency of a forwarded request: p50 ${signed(r.forwarded.p50 - r.local.p50)} ms, p99 ${signed(r.forwarded.p99 - r.local.p99)} ms (forwarded vs on the owner, taken in turn); a minimal proxy's hop adds p50 ${signed(r.floor.p50 - r.local.p50)} ms.`,
    '',
    '| 16 sessions | calls/s | vs one instance |',
    '| --- | ---: | ---: |',
    `| one instance | ${r.oneRate.toFixed(0)} | 1.00x |`,
    `| cluster of two, sessions split, every request on its owner | ${r.ownerRate.toFixed(0)} | ${x(r.ownerRate, r.oneRate)} |`,
    `| cluster of two, requests alternating (half forwarded) | ${r.clusterRate.toFixed(0)} | ${x(r.clusterRate, r.oneRate)} |`,
    '',
  ].join('\n');
  process.stdout.write(`${table}\n`);
  await writeFile(path.join(import.meta.dirname, 'results', 'cluster-bench.md'), table);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
