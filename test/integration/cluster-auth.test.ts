/**
 * Keys and ownership hold across instances: a session is served, wherever the request lands, only to
 * the key that opened it; a user key sees only its own processes and sessions in the cluster-wide lists;
 * the cluster address serves nothing unsigned. Two gateways with API keys and a real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ForwardClaims, signForward } from '../../src/cluster/forward-signature.js';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { INIT_2025, MCP_HEADERS, rawPost } from '../support/mcp-raw.js';
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

  it("passes a session's POSTs on over real HTTP from the other instance, streams included, to its own key only", async () => {
    const [urlA, urlB] = await Promise.all([a.serve(), b.serve()]);
    const init = await fetch(`${urlA}${PATH}`, {
      method: 'POST',
      headers: as(alice.key, MCP_HEADERS),
      body: INIT_2025,
    });
    const sessionId = init.headers.get('mcp-session-id') as string;
    await init.text();
    const post = (key: string | undefined, body: object, extra: Record<string, string> = {}) =>
      fetch(`${urlB}${PATH}`, {
        method: 'POST',
        headers: {
          ...(key ? as(key) : {}),
          ...MCP_HEADERS,
          'mcp-session-id': sessionId,
          'mcp-protocol-version': '2025-06-18',
          ...extra,
        },
        body: JSON.stringify(body),
      });
    const before = a.gw.cluster.counters.forwardedIn;
    const echo = await post(alice.key, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'via B' } },
    });
    expect(echo.status).toBe(200);
    expect(await echo.text()).toContain('via B');
    // The answer carries B's security headers once, and one request id known to both instances.
    expect(echo.headers.get('x-content-type-options')).toBe('nosniff');
    expect(echo.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
    expect(a.gw.cluster.counters.forwardedIn).toBe(before + 1);
    // A streamed answer (progress, then the result) comes through as it is sent.
    const progress = await post(alice.key, {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'progress', arguments: {}, _meta: { progressToken: 'p1' } },
    });
    expect(progress.headers.get('content-type')).toContain('text/event-stream');
    const events = await progress.text();
    expect(events.match(/notifications\/progress/g)).toHaveLength(3);
    expect(events).toContain('done');
    // Another key, no key, a wrong key, a Host of another name: refused by B, nothing reaches A.
    const forwardedIn = a.gw.cluster.counters.forwardedIn;
    expect((await post(bob.key, { jsonrpc: '2.0', id: 3, method: 'tools/list' })).status).toBe(404);
    expect((await post(undefined, { jsonrpc: '2.0', id: 4, method: 'tools/list' })).status).toBe(401);
    expect((await post('mcpgw_wrong', { jsonrpc: '2.0', id: 5, method: 'tools/list' })).status).toBe(401);
    const rebound = await rawPost(
      `${urlB}${PATH}`,
      { ...as(alice.key, MCP_HEADERS), 'mcp-session-id': sessionId, host: 'evil.example' },
      JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'tools/list' }),
    );
    expect(rebound.status).toBe(403);
    // Bob's request went to A (the session is found there), and was refused there as his.
    expect(a.gw.cluster.counters.forwardedIn).toBe(forwardedIn + 1);
  });

  it("refuses on the cluster address a session's POST with a forged, stale or replayed-elsewhere signature", async () => {
    const init = await a.gw.app.request(PATH, {
      method: 'POST',
      headers: as(alice.key, MCP_HEADERS),
      body: INIT_2025,
    });
    const sessionId = init.headers.get('mcp-session-id') as string;
    await init.text();
    const address = a.gw.cluster.self.address;
    const claims: ForwardClaims = {
      principal: { id: 'alice', role: 'user', anonymous: false },
      clientAddress: '127.0.0.1',
      from: 'x',
    };
    const headers = (signature: Record<string, string>) => ({
      ...MCP_HEADERS,
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-06-18',
      ...signature,
    });
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const send = (target: string, signature: Record<string, string>) =>
      fetch(`http://${address}${target}`, { method: 'POST', headers: headers(signature), body });
    // Another secret; a signature of another path; one older than 30 s: all refused, as unsigned.
    const forged = signForward('not-the-cluster-secret-0123456789', 'POST', PATH, claims);
    expect((await send(PATH, forged)).status).toBe(403);
    const elsewhere = signForward(a.gw.cluster.secret, 'POST', '/package/other/mcp', claims);
    expect((await send(PATH, elsewhere)).status).toBe(403);
    const stale = signForward(a.gw.cluster.secret, 'POST', PATH, claims, Date.now() - 31_000);
    expect((await send(PATH, stale)).status).toBe(403);
    expect((await send(PATH, {})).status).toBe(403);
    // Signed by the cluster for this very request: served (the signature, not the route, decides).
    const good = await send(PATH, signForward(a.gw.cluster.secret, 'POST', PATH, claims));
    expect(good.status).toBe(200);
    expect(await good.text()).toContain('echo');
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

  it("passes the playground's requests on to the instance that runs the process, progress included, for its owner only", async () => {
    const launched = await a.get('/package/fixture-echo-mcp@1.0.0/stdio?playground=1', {
      headers: as(alice.key),
    });
    expect(launched.status).toBe(200);
    const id = launched.body.processId as string;
    const ask = (key: string, body: unknown, accept = 'application/json') =>
      b.gw.app.request(`/processes/${id}/request`, {
        method: 'POST',
        headers: as(key, { 'content-type': 'application/json', accept }),
        body: JSON.stringify(body),
      });
    const echoed = await ask(alice.key, {
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'via b' } },
    });
    expect(echoed.status).toBe(200);
    expect(await echoed.json()).toEqual({ result: { content: [{ type: 'text', text: 'via b' }] } });
    const streamed = await ask(
      alice.key,
      { method: 'tools/call', params: { name: 'progress' } },
      'text/event-stream',
    );
    const events = await streamed.text();
    expect(events.match(/^event: progress$/gm)).toHaveLength(3);
    expect(events).toMatch(/^event: result$/m);
    // Bob cannot reach Alice's process from either instance.
    expect((await ask(bob.key, { method: 'tools/list' })).status).toBe(404);
    const nowhere = await b.gw.app.request('/processes/no-such-process/request', {
      method: 'POST',
      headers: as(alice.key, { 'content-type': 'application/json' }),
      body: '{"method":"tools/list"}',
    });
    expect(nowhere.status).toBe(404);
    expect(((await nowhere.json()) as { code: string }).code).toBe('PROCESS_NOT_FOUND');
  });
});
