/**
 * @module The warm pool's bookkeeping: spare, already started processes per configuration, started at a
 * low CPU priority (as root) and handed out with normal priority to new isolated sessions.
 */
import type { ManagedProcess } from './managed-process.js';
import { setNiceness } from './process-priority.js';

/** Spares run at this niceness while they wait, so starting them does not slow the sessions being served. */
export const SPARE_NICENESS = 10;

export class SparePool<E extends { process: ManagedProcess }> {
  private readonly byKey = new Map<string, E[]>();

  /** Adds a spare (its process should have been created with `niceness = SPARE_NICENESS`). */
  add(key: string, entry: E): void {
    this.byKey.set(key, [...(this.byKey.get(key) ?? []), entry]);
  }

  /** Takes a running spare of `key` (back at normal priority), or undefined. */
  take(key: string): E | undefined {
    const list = this.byKey.get(key) ?? [];
    const i = list.findIndex((e) => e.process.status === 'running');
    const taken = i === -1 ? undefined : list.splice(i, 1)[0];
    if (taken) {
      taken.process.niceness = 0;
      setNiceness(taken.process.pid, 0);
    }
    return taken;
  }

  /** Drops an entry (stopped, failed or claimed elsewhere); no-op when it is not pooled. */
  remove(key: string, entry: E): void {
    const list = this.byKey.get(key);
    if (list?.includes(entry))
      this.byKey.set(
        key,
        list.filter((e) => e !== entry),
      );
  }

  /** Spares of `key`, running or starting. */
  count(key: string): number {
    return this.byKey.get(key)?.length ?? 0;
  }

  /** True while a spare of `key` is still starting (the pool starts one at a time). */
  starting(key: string): boolean {
    return (this.byKey.get(key) ?? []).some((e) => e.process.status === 'starting');
  }

  /** True when `entry` waits in the pool of `key` (the first to give way at the limit). */
  has(key: string, entry: E): boolean {
    return this.byKey.get(key)?.includes(entry) ?? false;
  }
}
