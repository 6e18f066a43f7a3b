/**
 * Proxy benchmark: the same MCP server (@modelcontextprotocol/server-everything, installed once) behind
 * this gateway, supergateway (--stateful --outputTransport streamableHttp) and mcp-proxy (--server stream),
 * and directly over stdio, measured with the same official SDK client in one run:
 *  - sequential tools/call latency p50/p99 (one session),
 *  - throughput with 16 concurrent sessions,
 *  - time for 16 new sessions to connect,
 *  - a 4 MiB tools/call round trip,
 *  - the proxy process's resident memory,
 * and, for this gateway only, 1,000 sessions of one client open at once with calls arriving across them
 * at 200 per second (latency, refusals, gateway memory per open session). The gateway runs with its
 * default settings: no raised limits, default rate limits, default log level.
 * Prints a table with ratios to each peer and writes bench/results/proxy-bench.md. Run: npm run bench
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { callRate, freePort, pct, sequentialLatency, start, stopAll, waitFor } from './bench-support.js';
import { type CpuTarget, cpuReport, measureCpu } from './cpu-bench.js';
import { type ManyResult, measureMany } from './many-sessions.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const PKG = '@modelcontextprotocol/server-everything';
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 300);
const SESSIONS = 16;
const THROUGHPUT_MS = Number(process.env.BENCH_THROUGHPUT_MS ?? 5000);
const BIG = 4 * 1024 * 1024;
const MANY = Number(process.env.BENCH_MANY ?? 1000);
const WARM_UP = Number(process.env.BENCH_WARM_UP ?? 500);
/** `cpu`: only the CPU-per-call table (npm run bench:cpu). */
const ONLY = process.env.BENCH_ONLY;
const MINIMAL = 'minimal relay (bench/)';

interface Target {
  name: string;
  pid?: number;
  connect(): Promise<Client>;
  /** Called after the first session, before anything is timed (the gateway fills its warm pool). */
  settle?(): Promise<void>;
}

interface Result {
  p50: number;
  p99: number;
  throughput: number;
  newSessionsMs: number;
  bigMs: number | string;
  rssMb: number | string;
}

async function rssMb(pid: number | undefined): Promise<number | string> {
  if (!pid) return 'n/a';
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function httpTarget(
  name: string,
  url: string,
  pid: number | undefined,
  settle?: () => Promise<void>,
): Target {
  return {
    name,
    pid,
    settle,
    async connect() {
      const client = new Client({ name: 'bench', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      return client;
    },
  };
}

const echo = (c: Client, message: string) => c.callTool({ name: 'echo', arguments: { message } });

async function measure(t: Target): Promise<Result> {
  const first = await t.connect();
  await t.settle?.();
  // The client process is shared by every target: each gets the same warm-up, so the first measured does
  // not pay for the client's JIT (nor the gateway for its own).
  const lat = await sequentialLatency(SEQUENTIAL, WARM_UP, (i) => echo(first, `m${i}`));
  let bigMs: number | string;
  try {
    const big = 'x'.repeat(BIG);
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      const r = (await echo(first, big)) as { content: Array<{ text: string }> };
      if ((r.content[0]?.text.length ?? 0) < BIG) throw new Error('truncated');
      times.push(performance.now() - s);
    }
    bigMs = pct(times, 50);
  } catch (err) {
    bigMs = `failed (${(err as Error).message.slice(0, 40)})`;
  }
  const s = performance.now();
  const clients = await Promise.all(Array.from({ length: SESSIONS }, () => t.connect()));
  const newSessionsMs = performance.now() - s;
  const throughput = await callRate(clients, THROUGHPUT_MS, (c) => echo(c, 'load'));
  const rss = await rssMb(t.pid);
  await Promise.all([first, ...clients].map((c) => c.close().catch(() => undefined)));
  return { ...lat, throughput, newSessionsMs, bigMs, rssMb: rss };
}

function ratio(ours: number | string, peer: number | string, lowerIsBetter: boolean): string {
  if (typeof ours !== 'number' || typeof peer !== 'number' || ours === 0 || peer === 0) return '–';
  const r = lowerIsBetter ? peer / ours : ours / peer;
  return `${r.toFixed(2)}x`;
}

async function main(): Promise<void> {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-proxy-bench-'));
  await chmod(dir, 0o711); // sandboxed children (another uid under root) pass through to the store
  try {
    const gwPort = await freePort();
    // Profiling: BENCH_GATEWAY_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' (the gateway only).
    const nodeArgs = process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const gw = start(process.execPath, [...nodeArgs, path.join(ROOT, 'dist/main.js')], {
      ...process.env,
      PORT: String(gwPort),
      STORE_DIR: path.join(dir, 'store'),
      RUN_DIR: path.join(dir, 'run'),
      NPM_DOWNLOADS_API_URL: 'http://127.0.0.1:9',
      // Investigations only (the benchmark's figures are at defaults): BENCH_GATEWAY_ENV='SANDBOX=none'.
      ...Object.fromEntries(
        (process.env.BENCH_GATEWAY_ENV ?? '')
          .split(' ')
          .filter(Boolean)
          .map((kv) => kv.split('=', 2) as [string, string]),
      ),
    });
    const base = `http://127.0.0.1:${gwPort}`;
    await waitFor(`${base}/health`);
    const res = await fetch(`${base}/package/${PKG}/stdio`);
    const launched = (await res.json()) as {
      version: string;
      connectionInfo: { command: string; args: string[] };
    };
    if (res.status !== 200)
      throw new Error(`the gateway could not launch ${PKG}: ${JSON.stringify(launched)}`);
    const { command, args } = launched.connectionInfo;
    const serverLine = [command, ...args].join(' ');
    // A toolset of that server alone: the same child, reached as ev__echo through the toolset's hub.
    const toolset = await fetch(`${base}/toolsets/bench`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        servers: [{ alias: 'ev', package: `${PKG}@${launched.version}`, tools: ['echo'] }],
      }),
    });
    if (toolset.status !== 201) throw new Error(`the toolset was refused: ${await toolset.text()}`);

    // The same gateway with tracing on (OTLP/HTTP to a sink in this process that accepts and drops),
    // on the same store and run directory as a second worker of one host would be.
    const sink = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    sink.unref();
    const tracedPort = await freePort();
    const traced = start(process.execPath, [path.join(ROOT, 'dist/main.js')], {
      ...process.env,
      PORT: String(tracedPort),
      STORE_DIR: path.join(dir, 'store'),
      RUN_DIR: path.join(dir, 'run'),
      NPM_DOWNLOADS_API_URL: 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
    });
    const tracedBase = `http://127.0.0.1:${tracedPort}`;
    await waitFor(`${tracedBase}/health`);
    await fetch(`${tracedBase}/package/${PKG}@${launched.version}/stdio`);

    const sgPort = await freePort();
    const sg = start(process.execPath, [
      path.join(ROOT, 'node_modules/supergateway/dist/index.js'),
      '--stdio',
      serverLine,
      '--outputTransport',
      'streamableHttp',
      '--stateful',
      '--port',
      String(sgPort),
      '--logLevel',
      'none',
    ]);
    const mpPort = await freePort();
    const mp = start(path.join(ROOT, 'node_modules/.bin/mcp-proxy'), [
      '--port',
      String(mpPort),
      '--host',
      '127.0.0.1',
      '--server',
      'stream',
      '--',
      command,
      ...args,
    ]);
    await waitFor(`http://127.0.0.1:${sgPort}/healthz`).catch(() =>
      waitFor(`http://127.0.0.1:${sgPort}/mcp`),
    );
    await waitFor(`http://127.0.0.1:${mpPort}/ping`).catch(() => waitFor(`http://127.0.0.1:${mpPort}/mcp`));
    const mrPort = await freePort();
    const mr = start(process.execPath, [
      '--import',
      'tsx',
      path.join(ROOT, 'bench/minimal-relay.ts'),
      String(mrPort),
      command,
      ...args,
    ]);
    await waitFor(`http://127.0.0.1:${mrPort}/`, 60_000, 'POST');

    const ourUrl = `${base}/package/${PKG}@${launched.version}/mcp`;
    const targets: Target[] = [
      httpTarget('mcp-registry-server', ourUrl, gw.pid),
      httpTarget('supergateway', `http://127.0.0.1:${sgPort}/mcp`, sg.pid),
      httpTarget('mcp-proxy', `http://127.0.0.1:${mpPort}/mcp`, mp.pid),
      {
        name: 'direct stdio (floor)',
        async connect() {
          const client = new Client({ name: 'bench', version: '1.0.0' });
          await client.connect(new StdioClientTransport({ command, args, stderr: 'ignore' }));
          return client;
        },
      },
    ];
    const both = ['2025 session', '2026-07-28 stateless'] as CpuTarget['eras'];
    const cpuTargets: CpuTarget[] = [
      { name: MINIMAL, pid: mr.pid as number, url: `http://127.0.0.1:${mrPort}/`, eras: both },
      { name: 'mcp-registry-server', pid: gw.pid as number, url: ourUrl, eras: both, refillPerSecond: 1000 },
      {
        name: 'mcp-registry-server, through a toolset',
        pid: gw.pid as number,
        url: `${base}/toolsets/bench/mcp`,
        eras: both,
        refillPerSecond: 1000,
        tool: 'ev__echo',
      },
      {
        name: 'mcp-registry-server, tracing on',
        pid: traced.pid as number,
        url: `${tracedBase}/package/${PKG}@${launched.version}/mcp`,
        eras: both,
        refillPerSecond: 1000,
      },
      {
        name: 'supergateway',
        pid: sg.pid as number,
        url: `http://127.0.0.1:${sgPort}/mcp`,
        eras: ['2025 session'],
      },
      {
        name: 'mcp-proxy',
        pid: mp.pid as number,
        url: `http://127.0.0.1:${mpPort}/mcp`,
        eras: ['2025 session'],
      },
    ];
    // BENCH_CPU_ONLY=minimal,mcp-registry-server: only those (while iterating on one).
    const only = process.env.BENCH_CPU_ONLY?.split(',');
    if (only)
      cpuTargets.splice(
        0,
        cpuTargets.length,
        ...cpuTargets.filter((t) => only.some((o) => t.name.startsWith(o))),
      );
    const cpu = await measureCpu(cpuTargets, (line) => process.stderr.write(`cpu: ${line}\n`));
    const cpuTable = cpuReport(cpuTargets, cpu, MINIMAL);
    if (ONLY === 'cpu') {
      process.stdout.write(`${cpuTable}\n`);
      return;
    }
    const results = new Map<string, Result>();
    for (const t of targets) {
      process.stderr.write(`measuring ${t.name} …\n`);
      results.set(t.name, await measure(t));
    }
    process.stderr.write(`measuring ${MANY} sessions of one client …\n`);
    const many = await measureMany(ourUrl, gw.pid, MANY);
    await writeReport(results, launched.version, many, cpuTable);
  } finally {
    await stopAll();
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeReport(
  results: Map<string, Result>,
  version: string,
  many: ManyResult,
  cpuTable: string,
): Promise<void> {
  const ours = results.get('mcp-registry-server') as Result;
  const fmt = (v: number | string, digits = 1) => (typeof v === 'number' ? v.toFixed(digits) : v);
  const rows = [...results.entries()].map(
    ([name, r]) =>
      `| ${name} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.throughput, 0)} | ${fmt(r.newSessionsMs, 0)} | ${fmt(r.bigMs, 0)} | ${fmt(r.rssMb, 0)} |`,
  );
  const peers = ['supergateway', 'mcp-proxy'].filter((p) => results.has(p));
  const ratioRows = peers.map((p) => {
    const r = results.get(p) as Result;
    return `| vs ${p} | ${ratio(ours.p50, r.p50, true)} | ${ratio(ours.p99, r.p99, true)} | ${ratio(ours.throughput, r.throughput, false)} | ${ratio(ours.newSessionsMs, r.newSessionsMs, true)} | ${ratio(ours.bigMs, r.bigMs, true)} | ${ratio(ours.rssMb, r.rssMb, true)} |`;
  });
  const table = [
    `${PKG}@${version}, same SDK client for all; ${SEQUENTIAL} sequential calls, ${SESSIONS} sessions for ${THROUGHPUT_MS / 1000} s; node ${process.version}, ${new Date().toISOString().slice(0, 10)}, 2 cores.`,
    '',
    '| target | p50 ms | p99 ms | calls/s (16 sessions) | 16 new sessions ms | 4 MiB round trip ms | proxy RSS MB |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    'Ratios (how many times better this gateway is; above 1x is better). At its defaults the gateway serves the sessions of one principal and configuration from one child (mcp-proxy shares one child too; supergateway --stateful starts a child per session).',
    '',
    '| | p50 | p99 | throughput | new sessions | 4 MiB | memory |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...ratioRows,
    '',
    `${many.sessions} sessions of one client open at once (opened in ${fmt(many.openMs, 0)} ms), then ${many.rate} calls/s across them for ${many.seconds} s:`,
    '',
    '| sessions open | calls answered | refused or failed | p50 ms | p99 ms | gateway RSS per open session |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${many.opened} | ${many.calls} | ${many.refused} | ${fmt(many.p50, 2)} | ${fmt(many.p99, 2)} | ${fmt(many.kbPerSession, 1)} KB |`,
    '',
    "CPU per call, raw keep-alive client (bench/cpu-bench.ts): the proxy process's own utime+stime, against a minimal relay of ~40 lines (bench/minimal-relay.ts) running the same server.",
    cpuTable,
    '',
  ].join('\n');
  process.stdout.write(`${table}\n`);
  await writeFile(path.join(import.meta.dirname, 'results', 'proxy-bench.md'), table);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
