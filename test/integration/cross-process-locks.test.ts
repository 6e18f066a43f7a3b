/**
 * What gateways on one host share through files, across real processes: the lock file (one holder at a
 * time; a dead holder's lock broken at once) and the host's process slots (each sees its neighbours).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { FileHostSlots } from '../../src/cluster/host-slots.js';
import { withFileLock } from '../../src/process/file-lock.js';
import { InstanceDir } from '../../src/process/instance-dir.js';

const run = promisify(execFile);
const LOCK = path.resolve(import.meta.dirname, '../../src/process/file-lock.ts');

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A separate Node process that takes the lock `rounds` times, writing start and end lines under it. */
function holder(lock: string, log: string, id: string, rounds: number) {
  const script = `
    const { withFileLock } = await import(${JSON.stringify(LOCK)});
    const { appendFile } = await import('node:fs/promises');
    for (let i = 0; i < ${rounds}; i++)
      await withFileLock(${JSON.stringify(lock)}, { staleMs: 60000, timeoutMs: 60000, pollMs: 5 }, async () => {
        await appendFile(${JSON.stringify(log)}, '${id} start\\n');
        await new Promise((r) => setTimeout(r, 15));
        await appendFile(${JSON.stringify(log)}, '${id} end\\n');
      });`;
  return run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000 });
}

describe('file locks across processes', () => {
  it('lets one process at a time hold the lock', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcp-lock-'));
    const lock = path.join(dir, 'x.lock');
    const log = path.join(dir, 'log');
    await writeFile(log, '');
    await Promise.all(['a', 'b', 'c'].map((id) => holder(lock, log, id, 5)));
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(30);
    for (let i = 0; i < lines.length; i += 2) {
      const [who, what] = (lines[i] as string).split(' ');
      expect(what).toBe('start');
      expect(lines[i + 1]).toBe(`${who} end`);
    }
  });

  it('breaks the lock of a holder that died, and waits for a live one', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcp-lock-'));
    const lock = path.join(dir, 'y.lock');
    await writeFile(lock, `${hostname()} 99999999 ${Date.now()}`); // a pid that does not exist
    const started = Date.now();
    expect(await withFileLock(lock, { staleMs: 60_000, timeoutMs: 5000 }, async () => 'mine')).toBe('mine');
    expect(Date.now() - started).toBeLessThan(1000);
    await writeFile(lock, `${hostname()} ${process.ppid} ${Date.now()}`); // a live holder (our parent)
    await expect(
      withFileLock(lock, { staleMs: 60_000, timeoutMs: 300 }, async () => 'never'),
    ).rejects.toThrow(/timed out/);
  });
});

describe('host process slots', () => {
  const view = (id: string, principal: string, idle = true) => ({
    id,
    principal,
    spare: false,
    active: true,
    idle,
    lastActivity: 1,
  });

  it("shows each gateway its neighbours' active processes, not its own", async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcp-slots-'));
    const [a, b] = [await InstanceDir.claim(dir), await InstanceDir.claim(dir)];
    const link = (address: string) => ({ address: () => address, secret: 'not-used-here-0123456789' });
    const [onA, onB] = [new FileHostSlots(a, link('127.0.0.1:1')), new FileHostSlots(b, link(''))];
    onA.publish([view('a1', 'alice'), view('a2', 'alice', false), view('a3', 'bob')]);
    onB.publish([view('b1', 'carol')]);
    const seenByB = await onB.admit(async (n) => n);
    expect(seenByB.map((v) => v.principal).sort()).toEqual(['alice', 'alice', 'bob']);
    expect(seenByB.map((v) => v.idle)).toEqual([true, false, true]);
    // B takes no requests from neighbours (no address): A may count its process, never ask for it.
    const seenByA = await onA.admit(async (n) => n);
    expect(seenByA).toEqual([{ ...view('b1', 'carol'), idle: false }]);
    expect(await onA.reclaim('b1')).toBe(false);
    await b.release(); // a gateway that stopped counts no more
    expect(await onA.admit(async (n) => n)).toEqual([]);
    await a.release();
  });
});
