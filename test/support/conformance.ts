/** The official MCP conformance suite (`@modelcontextprotocol/conformance server`) run against a URL. */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { modernNode } from './modern-node.js';

const SUITE = path.resolve(
  import.meta.dirname,
  '../../node_modules/@modelcontextprotocol/conformance/dist/index.js',
);

export interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

/** Every checks.json under `dir`, with the scenario (its folder) each check came from. */
export async function readChecks(dir: string): Promise<Array<Check & { scenario: string }>> {
  const out: Array<Check & { scenario: string }> = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    if (!entry.endsWith('checks.json')) continue;
    const checks = JSON.parse(await readFile(path.join(dir, entry), 'utf8')) as Check[];
    for (const c of checks) out.push({ ...c, scenario: path.dirname(entry) });
  }
  return out;
}

export function runSuite(url: string, outDir: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      modernNode(),
      [SUITE, 'server', '--url', url, '--suite', 'all', '-o', outDir],
      { timeout: 240_000, maxBuffer: 64 * 1024 * 1024, cwd: outDir, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
    );
  });
}
