/**
 * @module Token buckets in Redis, so a caller's rate limits and install budget hold across the cluster:
 * the same bucket arithmetic as the in-memory store, in one Lua script per take (atomic, Redis's clock).
 * While Redis is away, buckets fall back to this instance's memory (limits hold per instance until it
 * returns) rather than refusing every request: sessions already open keep working.
 */
import type { Logger } from '../observability/logger.js';
import {
  type BucketRule,
  MemoryRateLimitStore,
  type RateDecision,
  type RateLimitStore,
} from '../policy/rate-limit-store.js';
import type { RedisConnection } from './redis-connection.js';

/** KEYS[1]: the bucket. ARGV: capacity, period ms, cost. Returns {allowed 0|1, retryAfterMs}. */
const TAKE = `
local capacity = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = capacity / period
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = capacity
if b[1] then tokens = math.min(capacity, tonumber(b[1]) + (now - tonumber(b[2])) * rate) end
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = math.ceil((cost - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], period)
return {allowed, retry}
`;

export class RedisRateLimitStore implements RateLimitStore {
  private readonly fallback = new MemoryRateLimitStore();
  private readonly takeScript: (...args: string[]) => Promise<unknown>;
  private warnedAt = 0;

  constructor(
    conn: RedisConnection,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    this.takeScript = conn.script(TAKE, 1);
  }

  async take(key: string, rule: BucketRule, cost = 1): Promise<RateDecision> {
    try {
      const [allowed, retry] = (await this.takeScript(
        `${this.prefix}rate:${rule.name}:${key}`,
        String(rule.capacity),
        String(rule.periodMs),
        String(cost),
      )) as [number, number];
      return { allowed: allowed === 1, retryAfterMs: retry };
    } catch (err) {
      if (Date.now() - this.warnedAt > 60_000) {
        this.warnedAt = Date.now();
        this.logger.warn(
          { err: (err as Error).message },
          'rate limits held per instance while Redis is away',
        );
      }
      return this.fallback.take(key, rule, cost);
    }
  }
}
