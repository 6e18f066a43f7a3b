/**
 * @module MAX_PROCESSES is a limit per host, however many gateways (PM2 workers) run there: each gateway
 * publishes its active processes (principal, idle or busy, last activity) and its cluster address in
 * its own run directory, at every change and every 2 s, and a launch decides under a host-wide lock
 * with its neighbours' processes counted (against the limit and the fair shares). When the process
 * that should give way is a neighbour's, the neighbour is asked (a signed request) to stop it if it is
 * still idle. Files, not Redis: the limit protects this host's memory and holds while Redis is away.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { withFileLock } from '../process/file-lock.js';
import type { InstanceDir } from '../process/instance-dir.js';
import type { CapacityView, HostSlots } from '../runtime/capacity.js';
import { forwardRequest } from './forwarder.js';

const FILE = 'processes.json';
/** A launch decision waits at most this long for the host's lock (a neighbour stopping a process), ms. */
const LOCK_TIMEOUT_MS = 60_000;
/** A neighbour gets this long to stop a process for us, ms. */
const RECLAIM_TIMEOUT_MS = 20_000;

interface Published {
  /** The gateway's cluster address (empty: it takes no requests from neighbours). */
  address: string;
  processes: CapacityView[];
}

/** How this gateway reaches its neighbours: its own cluster address, and the cluster's secret. */
export interface NeighbourLink {
  address: () => string;
  secret: string;
}

export class FileHostSlots implements HostSlots {
  /** Where each neighbour process lives (its gateway's address), from the last admit. */
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly runDir: InstanceDir,
    private readonly link: NeighbourLink,
  ) {}

  admit<T>(fn: (neighbours: readonly CapacityView[]) => Promise<T>): Promise<T> {
    const lock = path.join(this.runDir.root, '.launch.lock');
    return withFileLock(lock, { staleMs: LOCK_TIMEOUT_MS, timeoutMs: LOCK_TIMEOUT_MS }, async () =>
      fn(await this.neighbours()),
    );
  }

  /** Written synchronously, so a decision under the lock is published before the lock is released. */
  publish(own: readonly CapacityView[]): void {
    const file = path.join(this.runDir.path, FILE);
    const published: Published = { address: this.link.address(), processes: [...own] };
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(published));
      renameSync(`${file}.tmp`, file);
    } catch {
      // the run directory went away (shutdown): nothing left to publish
    }
  }

  async reclaim(id: string, busy = false): Promise<boolean> {
    const address = this.owners.get(id);
    if (!address) return false;
    const target = `/processes/${encodeURIComponent(id)}/reclaim${busy ? '?busy=1' : ''}`;
    const req = new Request(`http://${address}${target}`, {
      method: 'POST',
      signal: AbortSignal.timeout(RECLAIM_TIMEOUT_MS),
    });
    const claims = {
      principal: { id: 'cluster', role: 'admin' as const, anonymous: false },
      clientAddress: '127.0.0.1',
      from: 'host-slots',
    };
    try {
      const res = await forwardRequest(req, address, this.link.secret, claims);
      return res.status === 200 && ((await res.json()) as { reclaimed?: boolean }).reclaimed === true;
    } catch {
      return false;
    }
  }

  private async neighbours(): Promise<CapacityView[]> {
    const dirs = await this.runDir.neighbours();
    const published = await Promise.all(
      dirs.map((d) =>
        readFile(path.join(d, FILE), 'utf8')
          .then((t) => JSON.parse(t) as Published)
          .catch(() => ({ address: '', processes: [] }) as Published),
      ),
    );
    this.owners.clear();
    return published.flatMap(({ address, processes }) =>
      processes.map((p) => {
        this.owners.set(p.id, address);
        // A gateway that takes no requests cannot stop one for us: its processes only count.
        return address ? p : { ...p, idle: false };
      }),
    );
  }
}
