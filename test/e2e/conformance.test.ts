/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance server --suite all`) through the
 * gateway at its default settings, against a stdio fixture with everything the suite asks of a server.
 * The suite opens a new session per scenario and never ends one, as real clients do.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readChecks, runSuite } from '../support/conformance.js';
import { useServedGateway } from '../support/gateway-harness.js';

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
