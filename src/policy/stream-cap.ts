/**
 * @module Caps long-lived streams (dashboard event streams) per principal and per client address, so
 * that one key or one address cannot hold the gateway's CPU with snapshots nobody reads (in memory: a
 * stream lives on the instance that serves it).
 */

export interface StreamCapSettings {
  /** Open streams per principal; 0: no cap. */
  perKey: number;
  /** Open streams per client address; 0: no cap. */
  perAddress: number;
}

/** Which cap a refused stream hit. */
export interface StreamRefusal {
  scope: 'key' | 'address';
  limit: number;
}

export class StreamCap {
  private readonly open = new Map<string, number>();

  constructor(private readonly s: StreamCapSettings) {}

  /** Takes a place for a stream of `key` from `address`: a release function, or why not. */
  acquire(key: string, address: string): (() => void) | StreamRefusal {
    const k = `k:${key}`;
    const a = `a:${address}`;
    if (this.s.perKey > 0 && (this.open.get(k) ?? 0) >= this.s.perKey)
      return { scope: 'key', limit: this.s.perKey };
    if (this.s.perAddress > 0 && (this.open.get(a) ?? 0) >= this.s.perAddress)
      return { scope: 'address', limit: this.s.perAddress };
    for (const id of [k, a]) this.open.set(id, (this.open.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const id of [k, a]) {
        const n = (this.open.get(id) ?? 1) - 1;
        if (n > 0) this.open.set(id, n);
        else this.open.delete(id);
      }
    };
  }
}
