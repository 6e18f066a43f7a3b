/**
 * @module Token buckets behind a store interface, so several gateway instances can share them (a Redis
 * store implements the same `take`). The in-memory store keeps one bucket per key and forgets buckets
 * that have refilled, so memory stays bounded by the number of recently active callers.
 */

/** A bucket holds up to `capacity` tokens and regains `capacity` every `periodMs`. */
export interface BucketRule {
  name: string;
  capacity: number;
  periodMs: number;
}

export interface RateDecision {
  allowed: boolean;
  /** When not allowed: how long until `cost` tokens are back, ms. */
  retryAfterMs: number;
}

/**
 * Where buckets live. `take` is atomic per key; a store that needs no I/O answers at once (the hot path
 * then awaits nothing), a shared one with a promise.
 */
export interface RateLimitStore {
  take(key: string, rule: BucketRule, cost?: number): RateDecision | Promise<RateDecision>;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets in this process's memory (one gateway instance). */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxBuckets = 100_000,
  ) {}

  take(key: string, rule: BucketRule, cost = 1): RateDecision {
    const now = this.now();
    const id = `${rule.name}\u0000${key}`;
    const rate = rule.capacity / rule.periodMs;
    const b = this.buckets.get(id);
    const tokens = b ? Math.min(rule.capacity, b.tokens + (now - b.at) * rate) : rule.capacity;
    if (tokens < cost) {
      this.buckets.set(id, { tokens, at: now });
      return { allowed: false, retryAfterMs: Math.ceil((cost - tokens) / rate) };
    }
    this.buckets.set(id, { tokens: tokens - cost, at: now });
    if (this.buckets.size > this.maxBuckets) this.prune(now, rate);
    return { allowed: true, retryAfterMs: 0 };
  }

  /** Drops buckets idle long enough to be full again (they equal a fresh bucket). */
  private prune(now: number, rate: number): void {
    for (const [id, b] of this.buckets) {
      if (now - b.at > 1 / rate) this.buckets.delete(id);
    }
  }
}
