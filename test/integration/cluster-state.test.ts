/**
 * The cluster's shared state behind its interfaces: one suite that the in-memory implementations (one
 * instance) and the Redis ones (a real redis-server) both pass, then what only a cluster has: entries that
 * expire with a dead instance, counts that follow them, and Redis outages answered with a clear 503.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceDirectory, InstanceInfo, SessionCounter } from '../../src/cluster/cluster-types.js';
import { LeasedRateLimitStore } from '../../src/cluster/leased-rate-limit-store.js';
import { MemoryDirectory, MemorySessionCounter } from '../../src/cluster/memory-state.js';
import { RedisConnection } from '../../src/cluster/redis-connection.js';
import { RedisDirectory } from '../../src/cluster/redis-directory.js';
import { RedisRateLimitStore } from '../../src/cluster/redis-rate-limit-store.js';
import { RedisSessionCounter } from '../../src/cluster/redis-session-counter.js';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { createLogger } from '../../src/observability/logger.js';
import { MemoryRateLimitStore, type RateLimitStore } from '../../src/policy/rate-limit-store.js';
import { eventually } from '../support/pids.js';
import { startRedis, type TestRedis } from '../support/redis.js';

const logger = createLogger({ level: 'silent' });
const info = (id: string): InstanceInfo => ({
  id,
  address: `127.0.0.1:${id.length}`,
  host: 'h',
  pid: 1,
  startedAt: 0,
});
const stats = {
  processes: 0,
  sessions: 0,
  requests: 0,
  forwardedOut: 0,
  forwardedIn: 0,
  inFlight: 0,
  draining: false,
};

let redis: TestRedis;
const connections: RedisConnection[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await redis?.stop();
});

async function connect(): Promise<RedisConnection> {
  const c = new RedisConnection(redis.url, logger);
  await c.connect(5000);
  connections.push(c);
  return c;
}

interface Impl {
  directory(self: InstanceInfo): Promise<InstanceDirectory>;
  counter(selfId: string): Promise<SessionCounter>;
  rates(): Promise<RateLimitStore>;
}

/** The Redis implementations under a prefix of their own; `rates` makes the rate-limit store. */
function inRedis(
  letter: string,
  rates: (conn: Awaited<ReturnType<typeof connect>>, prefix: string) => RateLimitStore,
): Impl {
  const prefix = `${letter}${randomBytes(4).toString('hex')}:`;
  return {
    directory: async (self) => {
      const dir = new RedisDirectory(self, await connect(), prefix, 1000);
      await dir.beat(stats);
      return dir;
    },
    counter: async (selfId) => {
      const conn = await connect();
      const dir = new RedisDirectory(info(selfId), conn, prefix, 1000);
      await dir.beat(stats);
      return new RedisSessionCounter(conn, prefix, selfId, () => new Map());
    },
    rates: async () => rates(await connect(), prefix),
  };
}

const implementations: Array<[string, () => Impl]> = [
  [
    'in memory',
    () => ({
      directory: async (self) => new MemoryDirectory(self),
      counter: async () => new MemorySessionCounter(),
      rates: async () => new MemoryRateLimitStore(),
    }),
  ],
  ['in Redis', () => inRedis('t', (conn, prefix) => new RedisRateLimitStore(conn, prefix, logger))],
  [
    'in Redis, leased (as cluster mode runs it)',
    () =>
      inRedis('l', (conn, prefix) => new LeasedRateLimitStore(new RedisRateLimitStore(conn, prefix, logger))),
  ],
];

describe.each(implementations)('shared state %s', (_name, make) => {
  it('knows this instance, and nothing of an instance that never joined', async () => {
    const dir = await make().directory(info('aaaaaaaaaa'));
    expect(dir.self.id).toBe('aaaaaaaaaa');
    expect((await dir.lookup('aaaaaaaaaa'))?.address).toBe('127.0.0.1:10');
    expect(await dir.lookup('zzzzzzzzzz')).toBeUndefined();
    expect((await dir.list()).map((i) => i.id)).toEqual(['aaaaaaaaaa']);
  });

  it('counts sessions per principal up to the limit, and releases make room again', async () => {
    const counter = await make().counter('aaaaaaaaaa');
    expect(await counter.acquire('alice', 2)).toEqual({ ok: true, held: 1 });
    expect(await counter.acquire('alice', 2)).toEqual({ ok: true, held: 2 });
    expect(await counter.acquire('alice', 2)).toEqual({ ok: false, held: 2 });
    expect(await counter.acquire('bob', 2)).toEqual({ ok: true, held: 1 });
    counter.release('alice');
    // A release is written in the background: wait for it to land, then the place is free.
    const freed = async () => (await counter.acquire('alice', 2)).ok;
    expect(await eventually(freed, 30_000)).toBe(true);
  });

  it('takes tokens from a bucket until it is empty, and says when the next one is back', async () => {
    const rates = await make().rates();
    const rule = { name: 'test', capacity: 3, periodMs: 60_000 };
    const taken = [];
    for (let i = 0; i < 4; i++) taken.push(await rates.take('k', rule));
    expect(taken.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(taken[3]?.retryAfterMs).toBeGreaterThan(15_000);
    expect(taken[3]?.retryAfterMs).toBeLessThanOrEqual(20_000);
    expect((await rates.take('other', rule)).allowed).toBe(true);
  });
});

describe('joining a Redis with a password', () => {
  it('connects with the password in REDIS_URL, and fails at once, naming REDIS_URL, with a wrong one', async () => {
    const guarded = await startRedis('s3cret-pass');
    try {
      const good = new RedisConnection(guarded.url, logger);
      await good.connect(5000);
      expect(await good.redis.ping()).toBe('PONG');
      await good.close();
      const bad = new RedisConnection(guarded.url.replace('s3cret-pass', 'wrong'), logger);
      const started = Date.now();
      await expect(bad.connect(30_000)).rejects.toThrow(/REDIS_URL: Redis refused the credentials/);
      expect(Date.now() - started).toBeLessThan(5000);
      await bad.close();
    } finally {
      await guarded.stop();
    }
  });
});

describe('cluster-only behaviour on a real Redis', () => {
  it('limits hold across instances: two counters of one principal share one limit', async () => {
    const prefix = `c${randomBytes(4).toString('hex')}:`;
    const [ca, cb] = [await connect(), await connect()];
    const a = new RedisDirectory(info('aaaaaaaaaa'), ca, prefix, 1000);
    const b = new RedisDirectory(info('bbbbbbbbbb'), cb, prefix, 1000);
    await a.beat(stats);
    await b.beat(stats);
    const onA = new RedisSessionCounter(ca, prefix, 'aaaaaaaaaa', () => new Map());
    const onB = new RedisSessionCounter(cb, prefix, 'bbbbbbbbbb', () => new Map());
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? onA : onB).acquire('k', 7)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(7);
    // Rate limits too: 5 tokens shared by both instances.
    const ra = new RedisRateLimitStore(ca, prefix, logger);
    const rb = new RedisRateLimitStore(cb, prefix, logger);
    const rule = { name: 'shared', capacity: 5, periodMs: 60_000 };
    const takes = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? ra : rb).take('k', rule)));
    expect(takes.filter((t) => t.allowed)).toHaveLength(5);
  });

  it('leases a large budget in batches: two instances never allow more than the budget, and most messages cost no round trip', async () => {
    const prefix = `m${randomBytes(4).toString('hex')}:`;
    let roundTrips = 0;
    const counted = (conn: Awaited<ReturnType<typeof connect>>): RateLimitStore => {
      const redis = new RedisRateLimitStore(conn, prefix, logger);
      return {
        take: (key, rule, cost) => {
          roundTrips++;
          return redis.take(key, rule, cost);
        },
      };
    };
    const a = new LeasedRateLimitStore(counted(await connect()));
    const b = new LeasedRateLimitStore(counted(await connect()));
    const rule = { name: 'messages', capacity: 2000, periodMs: 60 * 60_000 }; // refills 0.55 a second
    const began = Date.now();
    let allowed = 0;
    for (let i = 0; i < 1500; i++) if ((await (i % 2 ? a : b).take('busy', rule)).allowed) allowed++;
    expect(allowed).toBe(1500);
    expect(roundTrips).toBeLessThan(1500 / 20 + 4); // a lease is a hundredth of the budget
    const more = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => (i % 2 ? a : b).take('busy', rule)),
    );
    allowed += more.filter((d) => d.allowed).length;
    const refill = Math.ceil(((Date.now() - began) / 1000) * (2000 / 3600)) + 1;
    expect(allowed).toBeLessThanOrEqual(2000 + refill);
    // What two lapsed-unspent leases can cost the caller at most.
    expect(allowed).toBeGreaterThanOrEqual(2000 - 2 * 20);
    const refused = more.find((d) => !d.allowed);
    expect(refused?.retryAfterMs).toBeGreaterThan(0);
  });

  it("a dead instance's entry expires after three beats, and its sessions stop counting", async () => {
    const prefix = `d${randomBytes(4).toString('hex')}:`;
    const conn = await connect();
    const alive = new RedisDirectory(info('aaaaaaaaaa'), conn, prefix, 100);
    const dead = new RedisDirectory(info('dddddddddd'), conn, prefix, 100);
    await alive.beat(stats);
    await dead.beat(stats);
    const onDead = new RedisSessionCounter(conn, prefix, 'dddddddddd', () => new Map());
    await onDead.acquire('k', 2);
    await onDead.acquire('k', 2);
    const onAlive = new RedisSessionCounter(conn, prefix, 'aaaaaaaaaa', () => new Map());
    expect((await onAlive.acquire('k', 2)).ok).toBe(false);
    expect((await alive.list()).map((i) => i.id).sort()).toEqual(['aaaaaaaaaa', 'dddddddddd']);
    await new Promise((r) => setTimeout(r, 400)); // 'dead' stops beating; 'alive' is this test
    await alive.beat(stats);
    expect((await alive.list()).map((i) => i.id)).toEqual(['aaaaaaaaaa']);
    // A lapsed entry may belong to a live instance whose beat is late: its last known address still
    // answers a lookup, and a forward there decides. Refused (gone), it is forgotten.
    expect((await alive.lookup('dddddddddd'))?.id).toBe('dddddddddd');
    alive.forget('dddddddddd');
    expect(await alive.lookup('dddddddddd')).toBeUndefined();
    expect(await onAlive.acquire('k', 2)).toEqual({ ok: true, held: 1 });
  });

  it('while Redis is away: cached owners still resolve, a new session is a 503, rate limits fall back; it recovers', async () => {
    const prefix = `o${randomBytes(4).toString('hex')}:`;
    const conn = await connect();
    const self = new RedisDirectory(info('aaaaaaaaaa'), conn, prefix, 1000);
    const other = new RedisDirectory(info('bbbbbbbbbb'), conn, prefix, 1000);
    await other.beat(stats);
    await self.beat(stats);
    await self.list(); // the heartbeat's list fills the cache
    const counter = new RedisSessionCounter(conn, prefix, 'aaaaaaaaaa', () => new Map([['k', 1]]));
    await counter.acquire('k', 10);
    const rates = new RedisRateLimitStore(conn, prefix, logger);
    await redis.kill();
    try {
      expect((await self.lookup('bbbbbbbbbb'))?.address).toBe('127.0.0.1:10');
      await expect(self.lookup('cccccccccc')).rejects.toMatchObject({ code: 'CLUSTER_UNAVAILABLE' });
      const refused = await counter.acquire('k', 10).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(GatewayError);
      expect((refused as GatewayError).code).toBe('CLUSTER_UNAVAILABLE');
      counter.release('k'); // lost now, resynced later
      expect((await rates.take('k', { name: 'r', capacity: 1, periodMs: 60_000 })).allowed).toBe(true);
      expect(await eventually(() => !conn.available, 30_000)).toBe(true);
    } finally {
      await redis.start();
    }
    const deadline = Date.now() + 10_000;
    while (!conn.available && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(conn.available).toBe(true);
    // Redis came back empty: the heartbeat notices its entry is gone and resyncs this instance's true count.
    expect(await self.beat(stats)).toBe(false);
    await counter.resync(true);
    expect(await conn.redis.hget(`${prefix}sessions:k`, 'aaaaaaaaaa')).toBe('1');
  });
});
