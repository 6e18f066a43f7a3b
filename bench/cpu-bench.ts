/**
 * What a call costs the proxy itself: CPU time (utime+stime of the proxy's own process, from
 * /proc/PID/stat) per `tools/call`, with a raw keep-alive HTTP client (node:http, no SDK), at concurrency
 * 1, 8 and 16, for 2025 sessions (initialize, then calls with Mcp-Session-Id; one session per concurrent
 * client) and for 2026-07-28 stateless requests (no session; version in `_meta` and headers). Targets are
 * measured interleaved in short slices, so a noisy neighbour costs every target alike. Used by proxy-bench.ts (npm run bench); alone: npm run bench:cpu.
 */
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { pct } from './bench-support.js';

export type Era = '2025 session' | '2026-07-28 stateless';

export interface CpuTarget {
  name: string;
  pid: number;
  url: string;
  eras: Era[];
  /** The tool called (default `echo`; `ev__echo` through a toolset). */
  tool?: string;
  /**
   * Messages per second its rate limit refills at (the gateway at defaults: 60,000 a minute per key):
   * after each measurement the benchmark waits until what it spent is back, so no call is refused.
   */
  refillPerSecond?: number;
}

export interface CpuResult {
  /** CPU of the proxy per call, µs. */
  cpuUs: number;
  /** Median round trip, ms. */
  p50: number;
  /** Calls per second. */
  rate: number;
}

/** Each target calls SLICES slices of SLICE_MS, interleaved, after WARM_UP_MS of warm-up. */
const SLICE_MS = Number(process.env.BENCH_CPU_SLICE_MS ?? 500);
const SLICES = Number(process.env.BENCH_CPU_SLICES ?? 6);
const WARM_UP_MS = Number(process.env.BENCH_CPU_WARM_UP_MS ?? 1000);
export const CONCURRENCY: number[] = process.env.BENCH_CPU_CONC?.split(',').map(Number) ?? [1, 8, 16];
const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';

/** utime+stime of a process, µs (clock ticks are 1/100 s on Linux). */
async function cpuUs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function post(agent: Agent, url: URL, headers: Record<string, string>, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The JSON-RPC answer in a JSON or SSE body. */
function answerOf(a: Answer): { result?: unknown; error?: unknown } {
  if (a.status !== 200) throw new Error(`HTTP ${a.status}: ${a.body.slice(0, 200)}`);
  const text = String(a.headers['content-type']).includes('event-stream')
    ? (a.body
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .pop()
        ?.slice(5) ?? '')
    : a.body;
  const m = JSON.parse(text);
  if (m.error) throw new Error(`JSON-RPC error: ${JSON.stringify(m.error).slice(0, 200)}`);
  return m;
}

/** A client that calls `tool` (an echo) over one keep-alive connection, in a session or stateless. */
async function caller(url: URL, era: Era, tool = 'echo'): Promise<() => Promise<void>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let id = 0;
  if (era === '2026-07-28 stateless') {
    const headers = { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': tool };
    return async () => {
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: ++id,
        method: 'tools/call',
        params: {
          name: tool,
          arguments: { message: 'bench' },
          _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN },
        },
      });
      answerOf(await post(agent, url, headers, body));
    };
  }
  const init = await post(
    agent,
    url,
    {},
    JSON.stringify({
      jsonrpc: '2.0',
      id: ++id,
      method: 'initialize',
      params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'cpu-bench', version: '1' } },
    }),
  );
  answerOf(init);
  const session = String(init.headers['mcp-session-id'] ?? '');
  const headers: Record<string, string> = { 'mcp-protocol-version': LEGACY };
  if (session) headers['mcp-session-id'] = session;
  await post(agent, url, headers, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  return async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: ++id,
      method: 'tools/call',
      params: { name: tool, arguments: { message: 'bench' } },
    });
    answerOf(await post(agent, url, headers, body));
  };
}

/** `conc` clients call back to back for `ms`; the round trip of each call, ms. */
async function callFor(callers: Array<() => Promise<void>>, ms: number): Promise<number[]> {
  const times: number[] = [];
  const until = performance.now() + ms;
  await Promise.all(
    callers.map(async (call) => {
      while (performance.now() < until) {
        const s = performance.now();
        await call();
        times.push(performance.now() - s);
      }
    }),
  );
  return times;
}

/**
 * Waits until a proxy is idle (at most one clock tick of CPU in half a second, for at most 30 s): a
 * gateway fills its warm pool and writes its store after a launch, work that must neither be charged to
 * a call nor slow another target's measurement.
 */
async function settle(pid: number): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const before = await cpuUs(pid);
    await new Promise((r) => setTimeout(r, 500));
    if ((await cpuUs(pid)) - before <= 10_000) return;
  }
}

interface Tally {
  cpu: number;
  calls: number;
  wall: number;
  times: number[];
}

/**
 * One era and concurrency for every target, interleaved: each target's clients call for SLICE_MS in
 * turn (the order rotating), SLICES times, and each target's CPU is summed over its slices, so a machine
 * that is busier or slower for a while (this is a shared 2-core VM) costs every target alike.
 */
async function measureInterleaved(
  targets: CpuTarget[],
  era: Era,
  conc: number,
): Promise<Map<string, CpuResult>> {
  for (const t of targets) await settle(t.pid);
  const callers = new Map<CpuTarget, Array<() => Promise<void>>>();
  for (const t of targets)
    callers.set(
      t,
      await Promise.all(Array.from({ length: conc }, () => caller(new URL(t.url), era, t.tool))),
    );
  const spent = new Map<CpuTarget, number>();
  for (const t of targets) spent.set(t, (await callFor(callers.get(t) ?? [], WARM_UP_MS)).length);
  const tally = new Map<CpuTarget, Tally>(targets.map((t) => [t, { cpu: 0, calls: 0, wall: 0, times: [] }]));
  for (let slice = 0; slice < SLICES; slice++)
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(slice + k) % targets.length] as CpuTarget;
      const into = tally.get(t) as Tally;
      const cpu0 = await cpuUs(t.pid);
      const began = performance.now();
      const times = await callFor(callers.get(t) ?? [], SLICE_MS);
      into.wall += performance.now() - began;
      into.cpu += (await cpuUs(t.pid)) - cpu0;
      into.calls += times.length;
      into.times.push(...times);
    }
  const out = new Map<string, CpuResult>();
  for (const [t, r] of tally) {
    out.set(t.name, { cpuUs: r.cpu / r.calls, p50: pct(r.times, 50), rate: r.calls / (r.wall / 1000) });
    spent.set(t, (spent.get(t) ?? 0) + r.calls);
  }
  // Targets with a rate limit get back what was spent before the next measurement (targets of one
  // process, the same key, spend one budget).
  const byPid = new Map<number, { spent: number; refill: number }>();
  for (const t of targets) {
    if (!t.refillPerSecond) continue;
    const p = byPid.get(t.pid) ?? { spent: 0, refill: t.refillPerSecond };
    p.spent += spent.get(t) ?? 0;
    byPid.set(t.pid, p);
  }
  const wait = Math.max(0, ...[...byPid.values()].map((p) => p.spent / p.refill));
  await new Promise((r) => setTimeout(r, wait * 1000));
  return out;
}

/** Every era and concurrency, targets interleaved within each. */
export async function measureCpu(
  targets: CpuTarget[],
  log: (line: string) => void,
): Promise<Map<string, CpuResult>> {
  const out = new Map<string, CpuResult>();
  // The client's own code warms up first: a cold client leaves proxies idle between calls, and idle
  // costs CPU per call (wake-ups, cold caches), more for whoever is measured first.
  log('warming up the client on every target');
  for (const t of targets)
    await callFor(
      await Promise.all(Array.from({ length: 8 }, () => caller(new URL(t.url), '2025 session', t.tool))),
      2000,
    );
  for (const era of ['2025 session', '2026-07-28 stateless'] as const)
    for (const conc of CONCURRENCY) {
      const these = targets.filter((x) => x.eras.includes(era));
      log(`${era}, concurrency ${conc}: ${these.map((t) => t.name).join(', ')}, interleaved`);
      for (const [name, r] of await measureInterleaved(these, era, conc))
        out.set(`${name}|${era}|${conc}`, r);
    }
  return out;
}

/** The CPU table (µs per call and ratio to the minimal relay) in Markdown. */
export function cpuReport(targets: CpuTarget[], results: Map<string, CpuResult>, floor: string): string {
  const lines: string[] = [];
  for (const era of ['2025 session', '2026-07-28 stateless'] as const) {
    const floorOf = (conc: number) => results.get(`${floor}|${era}|${conc}`);
    lines.push(
      '',
      `${era}: proxy CPU per call (µs, ratio to the minimal relay), p50 at concurrency 1, calls/s at 16`,
      '',
      '| target | CPU c=1 | CPU c=8 | CPU c=16 | p50 ms c=1 | calls/s c=16 |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const t of targets.filter((x) => x.eras.includes(era))) {
      const cell = (conc: number) => {
        const r = results.get(`${t.name}|${era}|${conc}`);
        const f = floorOf(conc);
        if (!r) return '–';
        return f ? `${r.cpuUs.toFixed(0)} (${(r.cpuUs / f.cpuUs).toFixed(2)}×)` : r.cpuUs.toFixed(0);
      };
      const one = results.get(`${t.name}|${era}|1`);
      const many = results.get(`${t.name}|${era}|16`);
      const f1 = floorOf(1);
      const f16 = floorOf(16);
      lines.push(
        `| ${t.name} | ${cell(1)} | ${cell(8)} | ${cell(16)} | ${one && f1 ? `${one.p50.toFixed(3)} (${(one.p50 / f1.p50).toFixed(2)}×)` : '–'} | ${many && f16 ? `${many.rate.toFixed(0)} (${(many.rate / f16.rate).toFixed(2)}×)` : '–'} |`,
      );
    }
  }
  return lines.join('\n');
}
