/**
 * The default layout of a fresh checkout: the store, logs and run directory under one new `.data/`.
 * Private directories (logs, pins, toolsets) are 0700 themselves, but the `.data/` they are made in is
 * not, so the sandboxed children (another uid) still reach the store and bubblewrap runs them: the
 * sandbox is the same as in any other layout.
 */
import { statSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirPrivateSync } from '../../src/process/private-dir.js';
import { startTestGateway } from '../support/gateway-harness.js';

describe('a fresh .data/ holding the store, the logs and the run directory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcp-gw-layout-'));
    await chmod(dir, 0o711); // like a checkout's folder: others may pass through
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes only the private directory private, not the parents it makes', () => {
    mkdirPrivateSync(path.join(dir, 'a', 'b', 'private'));
    expect(statSync(path.join(dir, 'a', 'b', 'private')).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, 'a')).mode & 0o077).not.toBe(0);
    expect(statSync(path.join(dir, 'a', 'b')).mode & 0o077).not.toBe(0);
  });

  it('keeps the sandbox the other layouts get', async () => {
    const data = path.join(dir, '.data');
    const usual = await startTestGateway();
    const fresh = await startTestGateway({
      store: { dir: path.join(data, 'store') },
      log: { dir: path.join(data, 'logs') },
      process: { runDir: path.join(data, 'run') },
    });
    try {
      const mode = (t: typeof usual) => t.get('/health').then((r) => r.body.sandbox.mode);
      expect(await mode(fresh)).toBe(await mode(usual));
      expect(statSync(data).mode & 0o077).not.toBe(0);
      expect(statSync(path.join(data, 'logs')).mode & 0o777).toBe(0o700);
    } finally {
      await fresh.close();
      await usual.close();
    }
  });
});
