import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeLogFiles, createLogger } from '../../src/observability/logger.js';
import { SecretRedactor } from '../../src/observability/secret-redactor.js';
import { groupId } from '../../src/process/group-id.js';
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

describe('log files an operator can keep', () => {
  it('rotates combined.log and error.log by size and keeps a bounded number of files', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mcp-gw-rotate-'));
    try {
      const logger = createLogger({ level: 'info', dir, rotation: { maxBytes: 2048, maxFiles: 2 } });
      for (let i = 0; i < 200; i++) logger.info({ i, filler: 'x'.repeat(100) }, 'line');
      logger.error('the last error');
      await closeLogFiles(logger);
      const files = (await readdir(dir)).sort();
      expect(files).toEqual(
        expect.arrayContaining(['combined.log', 'combined.log.1', 'combined.log.2', 'error.log']),
      );
      expect(files).not.toContain('combined.log.3');
      expect(await readFile(path.join(dir, 'error.log'), 'utf8')).toContain('the last error');
      // Only the gateway's user reads them, rotated files included.
      for (const f of files) expect((await stat(path.join(dir, f))).mode & 0o777, f).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lets the group LOG_FILE_GROUP names read the files (0640), nobody else', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mcp-gw-logmode-'));
    try {
      const logger = createLogger({
        level: 'info',
        dir,
        rotation: { maxBytes: 1 << 20, maxFiles: 2, gid: 65534 },
      });
      logger.error('for the group');
      await closeLogFiles(logger);
      for (const f of ['combined.log', 'error.log']) {
        const st = await stat(path.join(dir, f));
        expect(st.mode & 0o777, f).toBe(0o640);
        expect(st.gid, f).toBe(65534);
      }
      expect(groupId('65534')).toBe(65534);
      expect(groupId('adm', 'root:x:0:\nadm:x:4:syslog\n')).toBe(4);
      expect(groupId('no-such-group', 'root:x:0:\n')).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps each child's output in logs/processes/<id>.log, masked, and names requests by id", async () => {
    const t = await startTestGateway();
    try {
      const res = await t.get('/package/fixture-echo-mcp@1.0.0/stdio?apiKey=kept-secret-77');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const file = path.join(t.dir, 'logs', 'processes', `${res.body.processId}.log`);
      expect(
        await eventually(
          async () => (await readFile(file, 'utf8').catch(() => '')).includes('config: API_KEY='),
          5000,
        ),
      ).toBe(true);
      const kept = await readFile(file, 'utf8');
      expect(kept).toContain('fixture-echo-mcp@1.0.0 starting');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(kept).not.toContain('kept-secret-77');
      expect(t.logs.join('')).toContain(`"requestId":"${res.headers.get('x-request-id')}"`);
    } finally {
      await t.close();
    }
  });
});
