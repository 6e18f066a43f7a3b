/**
 * Builds the fixture wheels and a static PEP 503 simple index, and serves the directory with Python's
 * own static file server (python3 -m http.server), which has no JSON API, like a plain static mirror.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForHttp } from './net.js';

const run = promisify(execFile);
const BUILD = path.resolve(import.meta.dirname, '../fixtures/python/build_index.py');

export async function startPypiIndex(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  await run('python3', [BUILD, dir]);
  const port = await freePort();
  const child: ChildProcess = spawn(
    'python3',
    ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}/simple`;
  await waitForHttp(`${url}/`, 15_000);
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
    },
  };
}
