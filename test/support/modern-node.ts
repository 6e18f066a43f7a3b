/**
 * A Node binary of at least version 22, for tools that need it (the conformance suite uses `fs.globSync`):
 * this Node when it is new enough, else MCP_TEST_MODERN_NODE (CI sets it), else Node 24 from the npm
 * registry's `node` package, installed once into one cache folder (the one .ci/run uses too), so no run
 * leaves it under /tmp and every run reuses it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function modernNode(): string {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  const given = process.env.MCP_TEST_MODERN_NODE;
  if (given && existsSync(given)) return given;
  const prefix = node24CacheDir();
  const bin = path.join(prefix, 'node_modules', '.bin', 'node');
  if (!existsSync(bin))
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', prefix, 'node@24'], {
      stdio: 'ignore',
      timeout: 180_000,
    });
  return bin;
}

/**
 * The one folder the Node 24 download is kept in (the same rule as .ci/run): /var/cache as root, since
 * sandboxed children (another uid) run this binary and cannot pass a 0700 /root; the user's cache
 * folder otherwise (children then run as the same user).
 */
export function node24CacheDir(): string {
  if (process.getuid?.() === 0) return '/var/cache/mcp-registry-server/node24';
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'mcp-registry-server', 'node24');
}
