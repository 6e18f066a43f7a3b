/** Helpers every benchmark shares: ports, waiting for a server, children in their own process groups, percentiles. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers. */
export async function waitFor(url: string, ms = 60_000, method = 'GET'): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      await fetch(url, {
        method,
        body: method === 'POST' ? '{"jsonrpc":"2.0","method":"ping/none"}' : null,
        signal: AbortSignal.timeout(1000),
      });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${url} did not come up`);
}

/** Children started by `start`, stopped (whole groups) by `stopAll`. */
const children: ChildProcess[] = [];

export function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(cmd, args, { env, detached: true, stdio: 'ignore' });
  children.push(child);
  return child;
}

function signalAll(signal: NodeJS.Signals): void {
  for (const c of children)
    if (c.pid)
      try {
        process.kill(-c.pid, signal);
      } catch {
        /* gone */
      }
}

/**
 * SIGTERM to every started group, then SIGKILL once they have exited or after BENCH_STOP_GRACE_MS (500;
 * more when profiling, so the gateway can shut down and write its profile).
 */
export async function stopAll(): Promise<void> {
  signalAll('SIGTERM');
  const until = Date.now() + Number(process.env.BENCH_STOP_GRACE_MS ?? 500);
  while (Date.now() < until && children.some((c) => c.exitCode === null && c.signalCode === null))
    await new Promise((r) => setTimeout(r, 100));
  signalAll('SIGKILL');
}

/** The p-th percentile of `xs`. */
export const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] as number;

/** Calls per second of `clients` each calling `call` back to back for `ms`. */
export async function callRate<C>(
  clients: C[],
  ms: number,
  call: (c: C) => Promise<unknown>,
): Promise<number> {
  let calls = 0;
  const until = performance.now() + ms;
  const began = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < until) {
        await call(c);
        calls++;
      }
    }),
  );
  return calls / ((performance.now() - began) / 1000);
}

/** p50 and p99 of `n` sequential calls after `warmUp` unmeasured ones, ms. */
export async function sequentialLatency(
  n: number,
  warmUp: number,
  call: (i: number) => Promise<unknown>,
): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < warmUp; i++) await call(i);
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await call(i);
    lat.push(performance.now() - s);
  }
  return { p50: pct(lat, 50), p99: pct(lat, 99) };
}
