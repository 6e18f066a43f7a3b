/**
 * @module MAX_PROCESSES is a limit per host, however many gateways (PM2 workers) run there: each gateway
 * publishes the principals of its active processes in its own run directory, and a launch decides under
 * a host-wide lock with its neighbours' processes counted (they count against the limit and the fair
 * shares; only a gateway's own idle processes can give way). Files, not Redis: the limit protects this
 * host's memory and holds while Redis is away.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { InstanceDir } from '../process/instance-dir.js';
import type { CapacityView, HostSlots } from '../runtime/capacity.js';
import { withFileLock } from './file-lock.js';

const FILE = 'processes.json';
/** A launch decision waits at most this long for the host's lock (a neighbour stopping a process), ms. */
const LOCK_TIMEOUT_MS = 60_000;

export class FileHostSlots implements HostSlots {
  constructor(private readonly runDir: InstanceDir) {}

  admit<T>(fn: (neighbours: readonly CapacityView[]) => Promise<T>): Promise<T> {
    const lock = path.join(this.runDir.root, '.launch.lock');
    return withFileLock(lock, { staleMs: LOCK_TIMEOUT_MS, timeoutMs: LOCK_TIMEOUT_MS }, async () =>
      fn(await this.neighbours()),
    );
  }

  /** Written synchronously, so a decision under the lock is published before the lock is released. */
  publish(principals: readonly string[]): void {
    const file = path.join(this.runDir.path, FILE);
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(principals));
      renameSync(`${file}.tmp`, file);
    } catch {
      // the run directory went away (shutdown): nothing left to publish
    }
  }

  private async neighbours(): Promise<CapacityView[]> {
    const dirs = await this.runDir.neighbours();
    const lists = await Promise.all(
      dirs.map((d) =>
        readFile(path.join(d, FILE), 'utf8')
          .then((t) => JSON.parse(t) as string[])
          .catch(() => [] as string[]),
      ),
    );
    return lists.flat().map((principal, i) => ({
      id: `neighbour-${i}`,
      principal,
      spare: false,
      active: true,
      idle: false, // another gateway's process: it counts, but only its own gateway may stop it
      lastActivity: 0,
    }));
  }
}
