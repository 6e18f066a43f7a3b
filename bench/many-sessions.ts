/**
 * Many sessions of one client and configuration open at once, with calls arriving across them at a fixed
 * rate (an open loop: a slow answer does not slow the arrivals). Measures latency, refusals and the
 * gateway's resident memory per open session. Used by proxy-bench.ts.
 */
import { readFile } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { pct } from './bench-support.js';

export interface ManyResult {
  sessions: number;
  opened: number;
  openMs: number;
  rate: number;
  seconds: number;
  calls: number;
  refused: number;
  p50: number;
  p99: number;
  kbPerSession: number;
}

export async function rssKb(pid: number | undefined): Promise<number> {
  if (!pid) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function open(url: string): Promise<Client | undefined> {
  const client = new Client({ name: 'bench-many', version: '1.0.0' });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    return client;
  } catch {
    return undefined;
  }
}

/** Opens `sessions` sessions (in batches), then calls echo across them at `rate` per second for `seconds`. */
export async function measureMany(
  url: string,
  gatewayPid: number | undefined,
  sessions = 1000,
  rate = 200,
  seconds = 10,
): Promise<ManyResult> {
  const warm = await open(url);
  await warm?.callTool({ name: 'echo', arguments: { message: 'warm' } });
  const before = await rssKb(gatewayPid);
  const clients: Client[] = [];
  const began = performance.now();
  for (let i = 0; i < sessions; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, sessions - i) }, () => open(url)));
    for (const c of batch) if (c) clients.push(c);
  }
  const openMs = performance.now() - began;
  const after = await rssKb(gatewayPid);
  const lat: number[] = [];
  let refused = 0;
  const pending: Promise<void>[] = [];
  const total = rate * seconds;
  const start = performance.now();
  for (let n = 0; n < total && clients.length > 0; n++) {
    const due = start + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const client = clients[n % clients.length] as Client;
    const t0 = performance.now();
    pending.push(
      client.callTool({ name: 'echo', arguments: { message: `m${n}` } }).then(
        () => void lat.push(performance.now() - t0),
        () => void refused++,
      ),
    );
  }
  await Promise.all(pending);
  await Promise.all([warm, ...clients].map((c) => c?.close().catch(() => undefined)));
  return {
    sessions,
    opened: clients.length,
    openMs,
    rate,
    seconds,
    calls: lat.length,
    refused: refused + (sessions - clients.length),
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    kbPerSession: clients.length > 0 ? (after - before) / clients.length : Number.NaN,
  };
}
