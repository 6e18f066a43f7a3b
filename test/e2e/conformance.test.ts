/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance server --suite all`) through the
 * gateway at its default settings, against a stdio fixture with everything the suite asks of a server.
 * The suite opens a new session per scenario and never ends one, as real clients do.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServedGateway } from '../support/gateway-harness.js';
import { modernNode } from '../support/modern-node.js';

const SUITE = path.resolve(
  import.meta.dirname,
  '../../node_modules/@modelcontextprotocol/conformance/dist/index.js',
);

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

/** Every checks.json under `dir`, with the scenario (its folder) each check came from. */
async function readChecks(dir: string): Promise<Array<Check & { scenario: string }>> {
  const out: Array<Check & { scenario: string }> = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    if (!entry.endsWith('checks.json')) continue;
    const checks = JSON.parse(await readFile(path.join(dir, entry), 'utf8')) as Check[];
    for (const c of checks) out.push({ ...c, scenario: path.dirname(entry) });
  }
  return out;
}

function runSuite(url: string, outDir: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      modernNode(),
      [SUITE, 'server', '--url', url, '--suite', 'all', '-o', outDir],
      { timeout: 240_000, maxBuffer: 64 * 1024 * 1024, cwd: outDir, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
    );
  });
}

describe('the official MCP conformance suite at default settings', () => {
  let base: string;
  useServedGateway((_gw, url) => {
    base = url;
  });

  it('passes every check of `server --suite all`', { timeout: 300_000 }, async () => {
    const outDir = await mkdtemp(path.join(os.tmpdir(), 'conformance-'));
    try {
      const { code, stdout } = await runSuite(`${base}/package/fixture-conformance-mcp/mcp`, outDir);
      const checks = await readChecks(outDir);
      const failed = checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
      const passed = checks.filter((c) => c.status === 'SUCCESS');
      console.log(
        `conformance: ${passed.length} checks passed in ${new Set(checks.map((c) => c.scenario)).size} scenarios; ${failed.length} failed or warned`,
      );
      expect(failed.map((c) => `${c.scenario}/${c.id}: ${c.errorMessage}`)).toEqual([]);
      expect(passed.length, stdout.slice(-2000)).toBeGreaterThanOrEqual(30);
      expect(new Set(checks.map((c) => c.scenario)).size).toBeGreaterThanOrEqual(30);
      expect(code, stdout.slice(-2000)).toBe(0);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });
});
