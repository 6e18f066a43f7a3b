import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { SecretRedactor } from '../../src/observability/secret-redactor.js';
import { startTestGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/pids.js';

describe('install timeout', () => {
  it('fails with a clear 502 and leaves nothing half-done in the store', async () => {
    const t = await startTestGateway({ store: { installTimeoutMs: 30 } });
    try {
      const { status, body } = await t.get('/package/fixture-echo-mcp@1.0.0/stdio');
      expect(status).toBe(502);
      expect(body).toMatchObject({ code: 'INSTALL_FAILED', message: expect.stringMatching(/timed out/) });
      expect(await t.gw.store.list()).toEqual([]);
      // The gateway's own staging area holds nothing but its heartbeat.
      const root = path.join(t.gw.config.store.dir, '.staging');
      const areas = await readdir(root);
      expect(areas).toHaveLength(1);
      expect(await readdir(path.join(root, areas[0] as string))).toEqual(['.alive']);
    } finally {
      await t.close();
    }
  });
});

describe('log files', () => {
  it('writes combined.log and error.log with known secrets masked', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mcp-gw-logs-'));
    try {
      const redactor = new SecretRedactor();
      redactor.add(['hunter2-secret']);
      const logger = createLogger({ level: 'info', dir, redactor });
      logger.info({ note: 'launch with hunter2-secret' }, 'hello');
      logger.error('something broke');
      logger.flush();
      expect(
        await eventually(
          async () =>
            (await readFile(path.join(dir, 'error.log'), 'utf8').catch(() => '')).includes('something broke'),
          3000,
        ),
      ).toBe(true);
      const combined = await readFile(path.join(dir, 'combined.log'), 'utf8');
      expect(combined).toContain('hello');
      expect(combined).toContain('launch with ***');
      expect(combined).not.toContain('hunter2-secret');
      expect(await readFile(path.join(dir, 'error.log'), 'utf8')).not.toContain('hello');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
