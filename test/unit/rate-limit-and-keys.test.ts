/** Token buckets, the rate limiter's errors, and API key hashing and lookup. */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.js';
import {
  ApiKeyConfigError,
  ApiKeys,
  generateApiKey,
  hashApiKey,
  parseKeyFile,
} from '../../src/policy/api-keys.js';
import { MemoryRateLimitStore } from '../../src/policy/rate-limit-store.js';
import { RateLimiter } from '../../src/policy/rate-limiter.js';

/** The error a charge fails with (a store in memory answers at once, so a refusal may be thrown at once). */
async function refused(charge: () => void | Promise<void>): Promise<any> {
  try {
    await charge();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('token bucket store', () => {
  it('allows a burst up to capacity, then refills at the configured rate', async () => {
    let now = 0;
    const store = new MemoryRateLimitStore(() => now);
    const rule = { name: 'r', capacity: 3, periodMs: 3000 };
    for (let i = 0; i < 3; i++) expect((await store.take('k', rule)).allowed).toBe(true);
    const refused = await store.take('k', rule);
    expect(refused).toEqual({ allowed: false, retryAfterMs: 1000 });
    expect((await store.take('other', rule)).allowed).toBe(true);
    now = 999;
    expect((await store.take('k', rule)).allowed).toBe(false);
    now = 2000;
    expect((await store.take('k', rule)).allowed).toBe(true);
  });

  it('forgets refilled buckets so memory stays bounded', async () => {
    let now = 0;
    const store = new MemoryRateLimitStore(() => now, 10);
    const rule = { name: 'r', capacity: 1, periodMs: 100 };
    for (let i = 0; i < 10; i++) await store.take(`k${i}`, rule);
    now = 1000;
    await store.take('fresh', rule);
    expect((store as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(2);
  });
});

describe('rate limiter', () => {
  it('limits per key and per address with RATE_LIMITED and a retry time', async () => {
    const limiter = new RateLimiter(
      {
        perKeyPerMinute: 2,
        perAddressPerMinute: 3,
        installsPerHour: 1,
        messagesPerKeyPerMinute: 0,
        sessionsPerKeyPerMinute: 0,
      },
      new MemoryRateLimitStore(() => 0),
    );
    await limiter.request('a', '10.0.0.1');
    await limiter.request('a', '10.0.0.1');
    const err = await refused(() => limiter.request('a', '10.0.0.2'));
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.details).toMatchObject({ retryAfterSeconds: 30, limit: '2 requests per minute per key' });
    await limiter.request('b', '10.0.0.1');
    const byAddress = await refused(() => limiter.request('c', '10.0.0.1'));
    expect(byAddress.details.limit).toBe('3 requests per minute per address');
    await limiter.install('a', '10.0.0.9');
    const install = await refused(() => limiter.install('a', '10.0.0.8'));
    expect(install.details.limit).toBe('1 installs per hour per key');
  });

  it("never spends the shared address budget on a key's refused requests", async () => {
    const limiter = new RateLimiter(
      {
        perKeyPerMinute: 2,
        perAddressPerMinute: 5,
        installsPerHour: 0,
        messagesPerKeyPerMinute: 0,
        sessionsPerKeyPerMinute: 0,
      },
      new MemoryRateLimitStore(() => 0),
    );
    await limiter.request('hammer', '10.0.0.1');
    await limiter.request('hammer', '10.0.0.1');
    for (let i = 0; i < 50; i++) await refused(() => limiter.request('hammer', '10.0.0.1'));
    // Two requests went through for the hammering key; three remain for everyone else at the address.
    for (const who of ['other', 'other', undefined]) await limiter.request(who, '10.0.0.1');
    const spent = await refused(() => limiter.request('third', '10.0.0.1'));
    expect(spent.details.limit).toBe('5 requests per minute per address');
  });

  it('meters messages inside sessions apart from what costs the host', async () => {
    const limiter = new RateLimiter(
      {
        perKeyPerMinute: 1,
        perAddressPerMinute: 1,
        installsPerHour: 0,
        messagesPerKeyPerMinute: 3,
        sessionsPerKeyPerMinute: 2,
      },
      new MemoryRateLimitStore(() => 0),
    );
    await limiter.request('a', '10.0.0.1');
    for (let i = 0; i < 3; i++) await limiter.message('a', '10.0.0.1');
    const over = await refused(() => limiter.message('a', '10.0.0.1'));
    expect(over.details.limit).toBe('3 messages per minute per key');
    await limiter.message('b', '10.0.0.1'); // another key's budget, and no address budget for messages
    // New sessions have a budget of their own too: the request budget (spent above) does not refuse them.
    await limiter.session('a', '10.0.0.1');
    await limiter.session('a', '10.0.0.1');
    const sessions = await refused(() => limiter.session('a', '10.0.0.1'));
    expect(sessions.details.limit).toBe('2 new sessions per minute per key');
  });

  it('turns a limit off with 0', async () => {
    const limiter = new RateLimiter(
      {
        perKeyPerMinute: 0,
        perAddressPerMinute: 0,
        installsPerHour: 0,
        messagesPerKeyPerMinute: 0,
        sessionsPerKeyPerMinute: 0,
      },
      new MemoryRateLimitStore(),
    );
    for (let i = 0; i < 1000; i++) await limiter.request('a', 'x');
    await limiter.install('a', 'x');
  });
});

describe('API keys', () => {
  it('stores only hashes and finds the principal of a presented key', () => {
    const a = generateApiKey('alice', 'user');
    const o = generateApiKey('ops', 'admin');
    expect(a.entry).toBe(`alice:user:${hashApiKey(a.key)}`);
    expect(a.entry).not.toContain(a.key);
    const keys = new ApiKeys([a.entry, `ops:admin:sha256:${hashApiKey(o.key)}`]);
    expect(keys.authenticate(a.key)).toEqual({ id: 'alice', role: 'user', anonymous: false });
    expect(keys.authenticate(o.key)?.role).toBe('admin');
    expect(keys.authenticate(`${a.key} `)).toBeNull();
    expect(keys.authenticate('')).toBeNull();
  });

  it('refuses malformed entries and duplicate ids', () => {
    expect(() => new ApiKeys(['alice:user:xyz'])).toThrow(ApiKeyConfigError);
    expect(() => new ApiKeys([`alice:owner:${'a'.repeat(64)}`])).toThrow(ApiKeyConfigError);
    const e = `alice:user:${'b'.repeat(64)}`;
    expect(() => new ApiKeys([e, e])).toThrow(/Duplicate/);
  });

  it('reads key files with comments', () => {
    expect(parseKeyFile(`# team\nalice:user:${'c'.repeat(64)}  # laptop\n\n`)).toEqual([
      `alice:user:${'c'.repeat(64)}`,
    ]);
  });
});
