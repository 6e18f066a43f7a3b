/**
 * @module The directory of live instances in Redis: each instance keeps `<prefix>instance:<id>` (its
 * address, host and counters) alive with a heartbeat; the entry expires after three missed beats, so a
 * killed instance vanishes within that time and its sessions' next requests get 404 anywhere. Lookups
 * are cached for one beat (and every heartbeat lists the instances, which fills the cache); while Redis
 * is away, or an entry lapses while its instance lives, the last known entry is still used, so
 * forwarding to live owners goes on; a refused connection is what tells an owner gone.
 */
import type { InstanceDirectory, InstanceInfo, InstanceStats } from './cluster-types.js';
import { clusterUnavailable, type RedisConnection } from './redis-connection.js';

interface Cached {
  info: InstanceInfo | undefined;
  at: number;
}

export class RedisDirectory implements InstanceDirectory {
  private readonly cache = new Map<string, Cached>();
  private readonly ttlMs: number;

  constructor(
    readonly self: InstanceInfo,
    private readonly conn: RedisConnection,
    private readonly prefix: string,
    private readonly heartbeatMs: number,
  ) {
    this.ttlMs = heartbeatMs * 3;
  }

  /** The Redis key of an instance's entry (the session counter checks liveness with it). */
  static key(prefix: string, id: string): string {
    return `${prefix}instance:${id}`;
  }

  /**
   * Writes this instance's entry (start-up and every heartbeat). @returns whether the entry was still
   * there (false after Redis lost its data or the entry expired). @throws when Redis is away
   */
  async beat(stats: InstanceStats): Promise<boolean> {
    this.self.stats = stats;
    const key = RedisDirectory.key(this.prefix, this.self.id);
    const replies = await this.conn.redis
      .multi()
      .exists(key)
      .set(key, JSON.stringify(this.self), 'PX', this.ttlMs)
      .sadd(`${this.prefix}instances`, this.self.id)
      .exec();
    return replies?.[0]?.[1] === 1;
  }

  /** Removes this instance's entry (a graceful stop): its sessions are gone for everyone at once. */
  async leave(): Promise<void> {
    await this.conn.redis
      .multi()
      .del(RedisDirectory.key(this.prefix, this.self.id))
      .srem(`${this.prefix}instances`, this.self.id)
      .exec();
  }

  async lookup(id: string): Promise<InstanceInfo | undefined> {
    if (id === this.self.id) return this.self;
    const hit = this.cache.get(id);
    if (hit && Date.now() - hit.at < this.heartbeatMs) return hit.info;
    try {
      const raw = await this.conn.redis.get(RedisDirectory.key(this.prefix, id));
      // Not in Redis: gone, or its entry lapsed while it lives (a late heartbeat on a loaded host, a
      // Redis restarted empty before it re-published). Its last known address decides: forwarding there
      // finds it alive, or is refused (then `forget` marks it gone). An absence is never cached.
      if (!raw) return hit?.info;
      const info = JSON.parse(raw) as InstanceInfo;
      this.cache.set(id, { info, at: Date.now() });
      if (this.cache.size > 1000) this.cache.delete(this.cache.keys().next().value as string);
      return info;
    } catch (err) {
      if (hit) return hit.info;
      throw clusterUnavailable('finding the instance that holds this session', err);
    }
  }

  async list(): Promise<InstanceInfo[]> {
    try {
      const ids = await this.conn.redis.smembers(`${this.prefix}instances`);
      if (ids.length === 0) return [this.self];
      const raws = await this.conn.redis.mget(ids.map((id) => RedisDirectory.key(this.prefix, id)));
      const gone = ids.filter((_, i) => !raws[i]);
      if (gone.length > 0) await this.conn.redis.srem(`${this.prefix}instances`, ...gone);
      const live = raws.filter((r): r is string => !!r).map((r) => JSON.parse(r) as InstanceInfo);
      for (const info of live) this.cache.set(info.id, { info, at: Date.now() });
      const others = live.filter((i) => i.id !== this.self.id);
      return [this.self, ...others].sort((a, b) => a.startedAt - b.startedAt);
    } catch (err) {
      throw clusterUnavailable('the cluster-wide view', err, 'add ?scope=local for this instance alone');
    }
  }

  forget(id: string): void {
    this.cache.set(id, { info: undefined, at: Date.now() });
  }
}
