/**
 * @module An exclusive lock across processes on one host (or one shared volume): a lock file created with
 * O_EXCL that names its holder (`host pid time`). A lock whose holder died (same host, pid gone) or that
 * is older than `staleMs` is broken, so a gateway killed while holding it blocks nobody for long. The
 * in-process queue in front of it keeps one process's callers from polling against each other.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { KeyedLock } from './keyed-lock.js';
import { isPidAlive } from './pid-alive.js';

export interface FileLockOptions {
  /** A lock held longer than this is taken for abandoned, ms. */
  staleMs: number;
  /** Give up waiting after this, ms. */
  timeoutMs: number;
  /** How often a waiter looks again, ms. */
  pollMs?: number;
}

const local = new KeyedLock();

function abandoned(content: string, staleMs: number, now: number): boolean {
  const [host, pid, at] = content.split(' ');
  if (!host || !pid || !at) return true;
  if (now - Number(at) > staleMs) return true;
  return host === hostname() && !isPidAlive(Number(pid));
}

async function acquire(file: string, o: FileLockOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  // The holder's line is written to a file of our own, then hard-linked as the lock: the lock appears
  // complete or not at all (a waiter never reads a half-written holder and takes it for abandoned).
  const mine = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(mine, `${hostname()} ${process.pid} ${Date.now()}`);
  try {
    for (;;) {
      try {
        await link(mine, file);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const seen = await readFile(file, 'utf8').catch(() => undefined);
      // Read twice: break it only if the same abandoned holder is still there (not a fresh one).
      if (seen !== undefined && abandoned(seen, o.staleMs, Date.now())) {
        if ((await readFile(file, 'utf8').catch(() => undefined)) === seen)
          await unlink(file).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${file}`);
      await new Promise((r) => setTimeout(r, o.pollMs ?? 50));
    }
  } finally {
    await unlink(mine).catch(() => undefined);
  }
}

/** Runs `fn` holding the lock `file`; the lock is released however `fn` ends. */
export async function withFileLock<T>(file: string, o: FileLockOptions, fn: () => Promise<T>): Promise<T> {
  return local.run(file, async () => {
    await acquire(file, o);
    try {
      return await fn();
    } finally {
      await unlink(file).catch(() => undefined);
    }
  });
}
