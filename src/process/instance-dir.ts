/**
 * @module A directory that belongs to one running gateway below a shared root (the store's staging area,
 * the run directory of children's homes), so that what a gateway killed with SIGKILL left behind can be
 * swept by the next one without touching what a live neighbour on the same store is using. The directory
 * is named `<host>.<pid>.<tag>` and holds a heartbeat file touched every minute. A sibling is dead when
 * it is from this host and its pid is gone, or when its heartbeat is older than `staleMs` (another host
 * or PID namespace sharing the volume, where pids say nothing).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { isPidAlive } from './pid-alive.js';

const HEARTBEAT = '.alive';
const HEARTBEAT_EVERY_MS = 60_000;
/** A heartbeat older than this marks a gateway of another host (or PID namespace) as dead, ms. */
export const DEFAULT_STALE_MS = 10 * 60_000;
const NAME = /^(.+)\.(\d+)\.([0-9a-f]{8})$/;

/**
 * Whether `entry` below a root is a live gateway's directory: true (live), false (dead, or a leftover of
 * an older layout older than `staleMs`), or undefined (not a gateway directory and still fresh).
 */
async function liveGateway(full: string, entry: string, staleMs: number, now: number) {
  const m = NAME.exec(entry);
  const seen = await stat(m ? path.join(full, HEARTBEAT) : full).catch(() => null);
  const stale = !seen || now - seen.mtimeMs > staleMs;
  if (!m) return stale ? false : undefined;
  const here = hostname().replace(/[^A-Za-z0-9-]/g, '_');
  return !((m[1] === here && !isPidAlive(Number(m[2]))) || stale);
}

export class InstanceDir {
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly root: string,
    /** This gateway's own directory below the root. */
    readonly path: string,
  ) {}

  /**
   * Creates this gateway's directory below `root` (mode 0711 by default, so sandboxed children of another
   * uid can pass through to their own homes) and starts its heartbeat.
   */
  static async claim(root: string, mode = 0o711): Promise<InstanceDir> {
    const name = `${hostname().replace(/[^A-Za-z0-9-]/g, '_')}.${process.pid}.${randomBytes(4).toString('hex')}`;
    const dir = path.join(root, name);
    await mkdir(dir, { recursive: true, mode });
    await writeFile(path.join(dir, HEARTBEAT), '');
    const own = new InstanceDir(root, dir);
    own.timer = setInterval(() => void own.beat(), HEARTBEAT_EVERY_MS).unref();
    return own;
  }

  private async beat(): Promise<void> {
    const now = new Date();
    await utimes(path.join(this.path, HEARTBEAT), now, now).catch(() => undefined);
  }

  /**
   * Removes the directories of dead gateways below the root, and entries that are not gateway directories
   * at all (leftovers of older layouts) once they are older than `staleMs`: a neighbour starting up may
   * be using a fresh one (its sandbox probe). @returns the names removed.
   */
  async sweep(staleMs = DEFAULT_STALE_MS, now = Date.now()): Promise<string[]> {
    const removed: string[] = [];
    for (const entry of await readdir(this.root).catch(() => [] as string[])) {
      const full = path.join(this.root, entry);
      if (full === this.path || (await liveGateway(full, entry, staleMs, now)) !== false) continue;
      await rm(full, { recursive: true, force: true }).catch(() => undefined);
      removed.push(entry);
    }
    return removed;
  }

  /** The directories of the live gateways beside this one (same root), for what they publish there. */
  async neighbours(now = Date.now()): Promise<string[]> {
    const out: string[] = [];
    for (const entry of await readdir(this.root).catch(() => [] as string[])) {
      const full = path.join(this.root, entry);
      if (full !== this.path && (await liveGateway(full, entry, DEFAULT_STALE_MS, now))) out.push(full);
    }
    return out;
  }

  /** Stops the heartbeat and removes the directory (clean shutdown). */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await rm(this.path, { recursive: true, force: true }).catch(() => undefined);
  }
}
