/**
 * A co-tenant key that holds every process busy, at default settings (MAX_PROCESSES 10, fair share half
 * of it): key A opens ten configurations, each with a call in flight that never ends. Key B's launch and
 * the admin's must still succeed; the call cut short gets a JSON-RPC error with a code and guidance, and
 * its session ends (404, so its client initializes again).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/pids.js';

const a = generateApiKey('tenant-a', 'user');
const b = generateApiKey('tenant-b', 'user');
const ops = generateApiKey('ops', 'admin');
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe('the fair share under load, two keys and an admin, at defaults', () => {
  let t: TestGateway;
  let base: string;
  const clients: Client[] = [];
  /** A's calls in flight, by configuration, each settled to its outcome. */
  const calls = new Map<number, Promise<unknown>>();

  beforeAll(async () => {
    t = await startTestGateway({ auth: { apiKeys: [a.entry, b.entry, ops.entry] } });
    base = await t.serve();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await t?.close();
  });

  const busyOf = (owner: string) =>
    t.gw.processes
      .list()
      .filter((p) => p.meta.owner === owner && p.process.status === 'running' && p.process.inFlight > 0)
      .length;

  it('lets key A fill the gateway with calls that never end', async () => {
    const max = t.gw.config.process.maxProcesses;
    expect(max).toBe(10);
    for (let cfg = 1; cfg <= max; cfg++) {
      const client = new Client({ name: `tenant-a-${cfg}`, version: '1' });
      const url = new URL(`${base}/package/fixture-echo-mcp@1.0.0/mcp?cfg=${cfg}`);
      await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: auth(a.key) } }));
      clients.push(client);
      calls.set(
        cfg,
        client.callTool({ name: 'hang', arguments: {} }, undefined, { timeout: 600_000 }).then(
          (r) => ({ result: r }),
          (err: unknown) => ({ err }),
        ),
      );
    }
    expect(await eventually(() => busyOf('tenant-a') === max, 30_000)).toBe(true);
  });

  it('serves key B at once: a process of A, over its share, gives way though busy', async () => {
    const launched = await t.get('/package/fixture-echo-mcp@1.0.0/stdio?who=b', { headers: auth(b.key) });
    expect(launched.status, JSON.stringify(launched.body)).toBe(200);
    expect(busyOf('tenant-a')).toBe(9);

    // The call cut short ends with a JSON-RPC error that says why and what to do.
    const outcomes = await Promise.race(
      [...calls.entries()].map(([cfg, p]) => p.then((o) => ({ cfg, ...(o as { err?: unknown }) }))),
    );
    expect(outcomes.err).toBeInstanceOf(McpError);
    const err = outcomes.err as McpError;
    expect(err.message).toMatch(/reclaimed for another user's fair share/);
    expect(err.data).toMatchObject({ code: 'PROCESS_RECLAIMED', guidance: expect.stringMatching(/^Retry/) });

    // Its session has ended: the client's next request gets 404 (re-initialize).
    const cut = clients[outcomes.cfg - 1] as Client;
    await expect(cut.listTools()).rejects.toThrow(/404|not found/i);
  });

  it('serves the admin too, whatever A holds', async () => {
    // B's process gets a call in flight too: everything is busy, nothing idle can give way.
    const bClient = new Client({ name: 'tenant-b', version: '1' });
    const bUrl = new URL(`${base}/package/fixture-echo-mcp@1.0.0/mcp?who=b`);
    await bClient.connect(new StreamableHTTPClientTransport(bUrl, { requestInit: { headers: auth(b.key) } }));
    clients.push(bClient);
    void bClient
      .callTool({ name: 'hang', arguments: {} }, undefined, { timeout: 600_000 })
      .catch(() => undefined);
    expect(await eventually(() => busyOf('tenant-b') === 1, 30_000)).toBe(true);
    const launched = await t.get('/package/fixture-echo-mcp@1.0.0/stdio?who=ops', { headers: auth(ops.key) });
    expect(launched.status, JSON.stringify(launched.body)).toBe(200);
    expect(busyOf('tenant-a')).toBe(8);
    const owners = t.gw.processes.list().map((p) => p.meta.owner);
    expect(owners.filter((o) => o === 'tenant-b')).toHaveLength(1);
    expect(owners.filter((o) => o === 'ops')).toHaveLength(1);
  });

  it('refuses A, whose own processes are all busy at its share, with 503 and guidance', async () => {
    const more = await t.get('/package/fixture-echo-mcp@1.0.0/stdio?cfg=99', { headers: auth(a.key) });
    expect(more.status).toBe(503);
    expect(more.body).toMatchObject({ code: 'PROCESS_LIMIT_REACHED', guidance: expect.any(Object) });
    expect(more.headers.get('retry-after')).toBeTruthy();
  });
});
