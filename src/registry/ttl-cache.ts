/** @module A small TTL cache for metadata lookups that also merges concurrent lookups of one key. */

/** Clock used for expiry (ms since epoch); injectable for tests. */
export type Now = () => number;

/**
 * Caches the results of `load(key)` for `ttlMs`. Concurrent calls for one key share one load;
 * failed loads are not cached. At most `maxEntries` entries are kept (oldest dropped first).
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  private readonly inFlight = new Map<string, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: Now = Date.now,
    private readonly maxEntries = 5_000,
  ) {}

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > this.now()) return hit.value;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const p = load()
      .then((value) => {
        this.entries.delete(key);
        this.entries.set(key, { value, expires: this.now() + this.ttlMs });
        if (this.entries.size > this.maxEntries)
          this.entries.delete(this.entries.keys().next().value as string);
        return value;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  clear(): void {
    this.entries.clear();
  }
}
