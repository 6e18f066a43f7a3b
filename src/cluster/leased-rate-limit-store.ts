/**
 * @module Rate-limit tokens leased in batches from a shared store (Redis), so a busy caller's messages
 * cost no round trip each: for a budget of at least LEASE_MIN_CAPACITY tokens, an instance takes a
 * hundredth of it at once and spends it locally for up to a second. Leases come out of the shared
 * bucket, so the cluster never allows more than the budget; what a lease leaves unspent when it lapses
 * counts as spent (an instance that stops receiving a caller's messages costs that caller at most one
 * lease). Smaller budgets (installs, requests, new sessions) are charged one by one, exactly.
 */
import type { BucketRule, RateDecision, RateLimitStore } from '../policy/rate-limit-store.js';

/** Budgets below this many tokens are charged exactly, one take per request. */
export const LEASE_MIN_CAPACITY = 1000;
/** A lease is this fraction of the budget. */
const LEASE_FRACTION = 100;
/** How long a lease may be spent, ms. */
const LEASE_MS = 1000;

interface Lease {
  tokens: number;
  /** Until when the tokens may be spent; for a refused caller (tokens 0), until when it is refused here. */
  expires: number;
  refused?: boolean;
}

export class LeasedRateLimitStore implements RateLimitStore {
  private readonly leases = new Map<string, Lease>();
  /** Leases being fetched, so concurrent messages of one caller wait for one round trip. */
  private readonly fetching = new Map<string, Promise<RateDecision>>();

  constructor(
    private readonly shared: RateLimitStore,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string, rule: BucketRule, cost = 1): RateDecision | Promise<RateDecision> {
    if (rule.capacity < LEASE_MIN_CAPACITY) return this.shared.take(key, rule, cost);
    const id = `${rule.name}\u0000${key}`;
    // The common case answers at once: tokens left in this instance's lease.
    const lease = this.leases.get(id);
    if (lease && !lease.refused && lease.expires > this.now() && lease.tokens >= cost) {
      lease.tokens -= cost;
      return { allowed: true, retryAfterMs: 0 };
    }
    return this.takeLeased(id, key, rule, cost);
  }

  private async takeLeased(id: string, key: string, rule: BucketRule, cost: number): Promise<RateDecision> {
    for (;;) {
      const lease = this.leases.get(id);
      const now = this.now();
      if (lease && lease.expires > now) {
        // A caller the shared bucket refused a moment ago is refused here until its next token is due.
        if (lease.refused) return { allowed: false, retryAfterMs: lease.expires - now };
        if (lease.tokens >= cost) {
          lease.tokens -= cost;
          return { allowed: true, retryAfterMs: 0 };
        }
      }
      const pending = this.fetching.get(id);
      if (!pending) break;
      await pending.catch(() => undefined);
    }
    const size = Math.max(cost, Math.floor(rule.capacity / LEASE_FRACTION));
    const fetch = Promise.resolve(this.shared.take(key, rule, size));
    this.fetching.set(id, fetch);
    let d: RateDecision;
    try {
      d = await fetch;
    } finally {
      this.fetching.delete(id);
    }
    if (!d.allowed) {
      // Fewer than a lease is left: the last tokens go one by one, and a refusal holds here for a while.
      const exact = size === cost ? d : await this.shared.take(key, rule, cost);
      if (exact.allowed) this.leases.delete(id);
      else
        this.leases.set(id, {
          tokens: 0,
          expires: this.now() + Math.min(exact.retryAfterMs, LEASE_MS),
          refused: true,
        });
      return exact;
    }
    this.leases.set(id, { tokens: size - cost, expires: this.now() + LEASE_MS });
    if (this.leases.size > 10_000) this.dropLapsed();
    return { allowed: true, retryAfterMs: 0 };
  }

  private dropLapsed(): void {
    const now = this.now();
    for (const [id, l] of this.leases) if (l.expires <= now) this.leases.delete(id);
  }
}
