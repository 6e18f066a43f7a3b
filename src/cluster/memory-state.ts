/** @module The shared state of a single instance: itself as the whole directory, session counts in memory. */
import type { InstanceDirectory, InstanceInfo, SessionCounter } from './cluster-types.js';

/** One instance: the directory holds only itself. */
export class MemoryDirectory implements InstanceDirectory {
  constructor(readonly self: InstanceInfo) {}

  async lookup(id: string): Promise<InstanceInfo | undefined> {
    return id === this.self.id ? this.self : undefined;
  }

  async list(): Promise<InstanceInfo[]> {
    return [this.self];
  }

  forget(): void {}
}

/** Session counts of one instance. */
export class MemorySessionCounter implements SessionCounter {
  private readonly held = new Map<string, number>();

  async acquire(owner: string, max: number): Promise<{ ok: boolean; held: number }> {
    const n = this.held.get(owner) ?? 0;
    if (n >= max) return { ok: false, held: n };
    this.held.set(owner, n + 1);
    return { ok: true, held: n + 1 };
  }

  release(owner: string): void {
    const n = (this.held.get(owner) ?? 0) - 1;
    if (n > 0) this.held.set(owner, n);
    else this.held.delete(owner);
  }
}
