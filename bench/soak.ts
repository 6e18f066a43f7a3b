/**
 * Soak: the gateway at its default settings with sessions coming and going for a bounded time
 * (BENCH_SOAK_S, default 60 s). Workers open a session, make calls, then end it with DELETE; one session in
 * ten is abandoned without a word, as real clients do. Every 5 s it samples the gateway's resident memory,
 * open file descriptors, live sessions and the processes under it, and prints whether they stayed flat.
 * Writes bench/results/soak.md. Run: npm run bench:soak
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { rssKb } from './many-sessions.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const PKG = '@modelcontextprotocol/server-everything';
const SECONDS = Number(process.env.BENCH_SOAK_S ?? 60);
const WORKERS = 8;
const CALLS_PER_SESSION = 20;

interface Sample {
  t: number;
  rssMb: number;
  fds: number;
  sessions: number;
  processes: number;
  calls: number;
  opened: number;
}

/** Processes descending from `root` (its whole tree, read from /proc). */
async function descendants(root: number): Promise<number> {
  const parent = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parent.set(Number(name), ppid);
  }
  let n = 0;
  for (const pid of parent.keys()) {
    let p = parent.get(pid);
    while (p && p !== root && p !== 1) p = parent.get(p);
    if (p === root) n++;
  }
  return n;
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(url)
        .then((r) => r.ok)
        .catch(() => false)
    )
      return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

async function main(): Promise<void> {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-soak-'));
  await chmod(dir, 0o711);
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const gw: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'dist/main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      STORE_DIR: path.join(dir, 'store'),
      RUN_DIR: path.join(dir, 'run'),
    },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  const counts = { calls: 0, opened: 0, failed: 0, abandoned: 0 };
  const samples: Sample[] = [];
  try {
    await waitFor(`${base}/health`);
    const launched = (await (await fetch(`${base}/package/${PKG}/stdio`)).json()) as { version: string };
    const url = `${base}/package/${PKG}@${launched.version}/mcp`;
    const began = Date.now();
    const until = began + SECONDS * 1000;
    const sample = async () => {
      const sessions = (await (await fetch(`${base}/sessions`)).json()) as { total: number };
      samples.push({
        t: Math.round((Date.now() - began) / 1000),
        rssMb: Math.round((await rssKb(gw.pid)) / 1024),
        fds: (await readdir(`/proc/${gw.pid}/fd`)).length,
        sessions: sessions.total,
        processes: await descendants(gw.pid as number),
        calls: counts.calls,
        opened: counts.opened,
      });
    };
    const sampler = setInterval(() => void sample(), 5000);
    await sample();
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (Date.now() < until) {
          const client = new Client({ name: 'soak', version: '1.0.0' });
          const transport = new StreamableHTTPClientTransport(new URL(url));
          try {
            await client.connect(transport);
            counts.opened++;
            for (let i = 0; i < CALLS_PER_SESSION; i++) {
              await client.callTool({ name: 'echo', arguments: { message: `soak ${i}` } });
              counts.calls++;
            }
            if (counts.opened % 10 === 0) counts.abandoned++;
            else await transport.terminateSession();
          } catch {
            counts.failed++;
          } finally {
            await client.close().catch(() => undefined);
          }
        }
      }),
    );
    clearInterval(sampler);
    await sample();
  } finally {
    gw.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    await rm(dir, { recursive: true, force: true });
  }
  await report(samples, counts);
}

async function report(
  samples: Sample[],
  c: { calls: number; opened: number; failed: number; abandoned: number },
) {
  const later = samples.filter((s) => s.t >= 10);
  const range = (f: (s: Sample) => number) =>
    later.length ? `${Math.min(...later.map(f))}–${Math.max(...later.map(f))}` : 'n/a';
  const text = [
    `Soak of ${SECONDS} s at default settings, ${WORKERS} workers, ${CALLS_PER_SESSION} calls per session; node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    `${c.calls} calls over ${c.opened} sessions (${c.abandoned} abandoned without DELETE), ${c.failed} failed.`,
    `From 10 s on: gateway RSS ${range((s) => s.rssMb)} MB, file descriptors ${range((s) => s.fds)}, processes under the gateway ${range((s) => s.processes)}, live sessions ${range((s) => s.sessions)}.`,
    '',
    '| s | RSS MB | fds | live sessions | processes | calls | sessions opened |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...samples.map(
      (s) => `| ${s.t} | ${s.rssMb} | ${s.fds} | ${s.sessions} | ${s.processes} | ${s.calls} | ${s.opened} |`,
    ),
    '',
  ].join('\n');
  process.stdout.write(`${text}\n`);
  await writeFile(path.join(import.meta.dirname, 'results', 'soak.md'), text);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
