/** Runs the gateway as a real separate process (node + tsx, like `npm run dev`) for signal tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { freePort, waitForHttp } from './net.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

/** Starts the gateway; `env` adds variables, `unset` removes defaults of this helper. */
export async function spawnGateway(
  env: Record<string, string> = {},
  unset: string[] = [],
): Promise<GatewayProcess> {
  const reg = inject('registries');
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-gw-proc-'));
  // Sandboxed children run as an unprivileged uid that must be able to traverse to the store and run dir.
  await chmod(dir, 0o711);
  const port = await freePort();
  let out = '';
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    PORT: String(port),
    STORE_DIR: path.join(dir, 'store'),
    RUN_DIR: path.join(dir, 'run'),
    LOG_DIR: path.join(dir, 'logs'),
    NPM_REGISTRY_URL: reg.npm,
    NPM_DOWNLOADS_API_URL: reg.downloads,
    PYPI_INDEX_URL: reg.pypi,
    ...env,
  };
  for (const k of unset) delete childEnv[k];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c) => {
    out += String(c);
  });
  child.stderr?.on('data', (c) => {
    out += String(c);
  });
  // Its folder goes with it (store, run and log folders the test did not name itself).
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on(
      'exit',
      (code, signal) => void rm(dir, { recursive: true, force: true }).finally(() => r({ code, signal })),
    ),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/health`, 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`the gateway did not come up: ${(err as Error).message}\n${out.slice(-2000)}`);
  }
  return { child, url, exited, output: () => out };
}
