/** A venv with the Python MCP SDK (mcp 2.x, from this machine's configured pip index) for client tests. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLIENT = path.resolve(import.meta.dirname, '../clients/python_client.py');

/** Creates the venv and installs `mcp`; resolves with its python. `--retries 0`: unreachable indexes fail fast. */
export async function preparePythonClient(dir: string): Promise<string> {
  await run('python3', ['-m', 'venv', dir], { timeout: 120_000 });
  const python = path.join(dir, 'bin', 'python');
  await run(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--retries', '0', 'mcp>=2,<3'],
    { timeout: 300_000 },
  );
  return python;
}

/** Runs the Python client against `url` in `mode`; resolves with what it printed. */
export async function runPythonClient(
  python: string,
  url: string,
  mode: string,
): Promise<Record<string, unknown>> {
  const { stdout } = await run(python, [CLIENT, url, mode], { timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
}
