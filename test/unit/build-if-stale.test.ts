/**
 * `npm start` on a built checkout starts at once: scripts/build-if-stale.mjs builds only when a source
 * is newer than dist/ (here on a copy of the layout, so the checkout's own dist/ is never touched).
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/build-if-stale.mjs');

describe('build-if-stale', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcp-gw-build-'));
    for (const d of ['scripts', 'src/cli', 'dist']) await mkdir(path.join(dir, d), { recursive: true });
    await copyFile(SCRIPT, path.join(dir, 'scripts', 'build-if-stale.mjs'));
    await writeFile(path.join(dir, 'package.json'), '{"name":"x","private":true}');
    await writeFile(path.join(dir, 'src', 'cli', 'a.ts'), 'export {};');
    await writeFile(path.join(dir, 'dist', 'main.js'), '');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const run = () =>
    spawnSync(process.execPath, [path.join(dir, 'scripts', 'build-if-stale.mjs')], { encoding: 'utf8' });
  const at = (file: string, seconds: number) => utimes(path.join(dir, file), seconds, seconds);

  it('does nothing when dist/ is newer than every source', async () => {
    await at('src/cli/a.ts', 1_000_000);
    await at('dist/main.js', 2_000_000);
    const r = run();
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('builds when a source (in any folder) is newer', async () => {
    await at('src/cli/a.ts', 3_000_000);
    const r = run();
    // It starts the build (TypeScript is not in this copy, so the build itself fails here).
    expect(r.stderr).toContain('building dist/ (sources changed)');
    expect(r.status).not.toBe(0);
  });
});
