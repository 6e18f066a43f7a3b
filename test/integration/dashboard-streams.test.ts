/**
 * A key that opens dashboard event streams until refused, at the default caps (8 per key, 16 per
 * address): past its cap it gets 429 with Retry-After, another key still gets its stream, and a closed
 * stream frees its place.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/pids.js';

const greedy = generateApiKey('greedy', 'user');
const other = generateApiKey('other', 'user');

describe('dashboard event streams, capped per key', () => {
  let t: TestGateway;
  let base: string;
  const open: AbortController[] = [];
  beforeAll(async () => {
    t = await startTestGateway({ auth: { apiKeys: [greedy.entry, other.entry] } });
    base = await t.serve();
  });
  afterAll(async () => {
    for (const a of open) a.abort();
    await t?.close();
  });

  /** Opens a stream and waits for its first snapshot; resolves with the status. */
  async function stream(key: string): Promise<number> {
    const abort = new AbortController();
    const res = await fetch(`${base}/dashboard/events`, {
      headers: { authorization: `Bearer ${key}` },
      signal: abort.signal,
    });
    if (res.status !== 200) {
      await res.text();
      return res.status;
    }
    open.push(abort);
    const reader = res.body?.getReader();
    await reader?.read(); // the first snapshot
    return res.status;
  }

  it('refuses a key past its cap with 429; others are served; a closed stream frees a place', async () => {
    const cap = t.gw.config.rateLimit.dashboardStreamsPerKey;
    expect(cap).toBe(8);
    for (let i = 0; i < cap; i++) expect(await stream(greedy.key)).toBe(200);
    const refused = await fetch(`${base}/dashboard/events`, {
      headers: { authorization: `Bearer ${greedy.key}` },
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(await refused.json()).toMatchObject({
      code: 'TOO_MANY_STREAMS',
      guidance: { limit: 8, scope: 'key' },
    });
    expect(await stream(other.key)).toBe(200);
    open.shift()?.abort();
    expect(await eventually(async () => (await stream(greedy.key)) === 200, 30_000)).toBe(true);
  });
});
