/**
 * A Node binary of at least version 22, for tools that need it (the conformance suite uses `fs.globSync`):
 * this Node when it is new enough, else MCP_TEST_MODERN_NODE (CI sets it), else Node 24 from the npm
 * registry's `node` package, installed once under the temp directory (the place CI uses too).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function modernNode(): string {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  const given = process.env.MCP_TEST_MODERN_NODE;
  if (given && existsSync(given)) return given;
  const prefix = path.join(process.env.TMPDIR ?? os.tmpdir(), 'mcp-registry-ci-node24');
  const bin = path.join(prefix, 'node_modules', '.bin', 'node');
  if (!existsSync(bin))
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', prefix, 'node@24'], {
      stdio: 'ignore',
      timeout: 180_000,
    });
  return bin;
}
