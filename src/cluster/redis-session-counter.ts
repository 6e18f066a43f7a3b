/**
 * @module Session counts per principal across the cluster, in Redis: one hash per principal with a field
 * per instance. Acquiring sums the fields of live instances (an instance whose entry expired is dropped
 * from the hash, so a killed instance's sessions stop counting within a heartbeat) and adds one only
 * below the limit, in one Lua script (atomic). A release that could not be written (Redis away) is
 * resynced from this instance's own true counts at the next heartbeat: nothing is double-counted.
 */
import type { SessionCounter } from './cluster-types.js';
import { clusterUnavailable, type RedisConnection } from './redis-connection.js';
import { RedisDirectory } from './redis-directory.js';

/** KEYS[1]: the principal's hash. ARGV: this instance, the limit, the instance-entry key prefix. */
const ACQUIRE = `
local counts = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #counts, 2 do
  local inst = counts[i]
  if inst == ARGV[1] or redis.call('EXISTS', ARGV[3] .. inst) == 1 then
    total = total + tonumber(counts[i + 1])
  else
    redis.call('HDEL', KEYS[1], inst)
  end
end
if total >= tonumber(ARGV[2]) then return -total end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], 86400000)
return total + 1
`;

/** KEYS[1]: the principal's hash. ARGV: this instance, the instance's true count (or '' to decrement). */
const SET_OR_DECREMENT = `
local n
if ARGV[2] == '' then n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1) else n = tonumber(ARGV[2]) end
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], n) end
return n
`;

export class RedisSessionCounter implements SessionCounter {
  /** Principals whose count here could not be written; resynced by `resync`. */
  private readonly dirty = new Set<string>();
  private readonly acquireScript: (...args: string[]) => Promise<unknown>;
  private readonly setScript: (...args: string[]) => Promise<unknown>;

  constructor(
    conn: RedisConnection,
    private readonly prefix: string,
    private readonly selfId: string,
    /** How many sessions each principal holds on this instance (the truth a resync writes). */
    private readonly localCounts: () => Map<string, number>,
  ) {
    this.acquireScript = conn.script(ACQUIRE, 1);
    this.setScript = conn.script(SET_OR_DECREMENT, 1);
  }

  private key(owner: string): string {
    return `${this.prefix}sessions:${owner}`;
  }

  async acquire(owner: string, max: number): Promise<{ ok: boolean; held: number }> {
    try {
      const n = Number(
        await this.acquireScript(
          this.key(owner),
          this.selfId,
          String(max),
          RedisDirectory.key(this.prefix, ''),
        ),
      );
      return n < 0 ? { ok: false, held: -n } : { ok: true, held: n };
    } catch (err) {
      throw clusterUnavailable('opening a session (sessions per key are counted cluster-wide)', err);
    }
  }

  release(owner: string): void {
    this.setScript(this.key(owner), this.selfId, '').catch(() => this.dirty.add(owner));
  }

  /**
   * Writes this instance's true count of every principal whose release was lost (each heartbeat), or of
   * every principal it holds sessions of (`all`: Redis came back without its data).
   */
  async resync(all = false): Promise<void> {
    const counts = this.localCounts();
    const owners = all ? new Set([...counts.keys(), ...this.dirty]) : new Set(this.dirty);
    for (const owner of owners) {
      const n = String(counts.get(owner) ?? 0);
      await this.setScript(this.key(owner), this.selfId, n);
      this.dirty.delete(owner);
    }
  }
}
