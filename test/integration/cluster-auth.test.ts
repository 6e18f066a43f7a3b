/**
 * Keys and ownership hold across instances: a session is served, wherever the request lands, only to
 * the key that opened it; a user key sees only its own processes and sessions in the cluster-wide lists;
 * the cluster address serves nothing unsigned. Two gateways with API keys and a real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { INIT_2025, MCP_HEADERS } from '../support/mcp-raw.js';
import { REDIS_SERVER, startRedis, type TestRedis } from '../support/redis.js';

const alice = generateApiKey('alice', 'user');
const bob = generateApiKey('bob', 'user');
const ops = generateApiKey('ops', 'admin');
const as = (key: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${key}`,
  ...extra,
});
const PATH = '/package/fixture-echo-mcp/mcp';

describe.runIf(REDIS_SERVER)('keys and ownership across instances', () => {
  let redis: TestRedis;
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    const shared = {
      cluster: { redisUrl: redis.url },
      auth: { apiKeys: [alice.entry, bob.entry, ops.entry] },
    };
    [a, b] = await Promise.all([startTestGateway(shared), startTestGateway(shared)]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });

  it("serves a session on any instance to its own key only, and lists only the caller's own", async () => {
    const init = await a.gw.app.request(PATH, {
      method: 'POST',
      headers: as(alice.key, MCP_HEADERS),
      body: INIT_2025,
    });
    expect(init.status).toBe(200);
    const sessionId = init.headers.get('mcp-session-id') as string;
    await init.text();
    const call = (t: TestGateway, key: string) =>
      t.get(PATH, {
        method: 'POST',
        headers: as(key, {
          ...MCP_HEADERS,
          'mcp-session-id': sessionId,
          'mcp-protocol-version': '2025-06-18',
        }),
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
    // B forwards to A (the owner) as alice: served. As bob: the session looks unknown (404), as it would on A.
    expect((await call(b, alice.key)).status).toBe(200);
    expect((await call(b, bob.key)).status).toBe(404);
    expect((await call(a, bob.key)).status).toBe(404);
    // No key at all is refused by the front, before any forwarding.
    expect((await b.get(PATH, { method: 'POST', headers: MCP_HEADERS, body: INIT_2025 })).status).toBe(401);

    const sessions = async (t: TestGateway, key: string) =>
      (
        (await t.get('/sessions', { headers: as(key) })).body as {
          sessions: Array<{ id: string; instance: string }>;
        }
      ).sessions;
    expect((await sessions(b, alice.key)).map((s) => s.id)).toEqual([sessionId]);
    expect(await sessions(b, bob.key)).toEqual([]);
    expect((await sessions(b, ops.key)).map((s) => s.instance)).toEqual([a.gw.cluster.self.id]);
    // Metrics are for admins, on every instance.
    expect((await b.get('/metrics', { headers: as(alice.key) })).status).toBe(403);
    expect((await b.get('/metrics', { headers: as(ops.key) })).status).toBe(200);
  });

  it('serves nothing unsigned, or signed with another secret, on the cluster address', async () => {
    const address = a.gw.cluster.self.address;
    const plain = await fetch(`http://${address}/sessions`, { headers: as(ops.key) });
    expect(plain.status).toBe(403);
    expect(await plain.json()).toMatchObject({ code: 'FORBIDDEN' });
    const forged = await fetch(`http://${address}/sessions`, {
      headers: { 'x-mcpgw-signature': `${Date.now()}.AAAA`, 'x-mcpgw-claims': 'e30' },
    });
    expect(forged.status).toBe(403);
  });
});
