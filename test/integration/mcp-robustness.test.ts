/** Cancellation, disconnects, idle expiry and CORS on the MCP endpoints. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { BoundedEventStore } from '../../src/front/bounded-event-store.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { eventually, hostInfo, waitDead } from '../support/pids.js';

const text = (r: unknown) => (r as { content: Array<{ text: string }> }).content[0]?.text ?? '';

async function connect(url: string) {
  const client = new Client({ name: 'robustness', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, transport };
}

describe('MCP robustness', () => {
  let t: TestGateway | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("relays the client's notifications/cancelled to the child with the child's id", async () => {
    t = await startTestGateway();
    const base = await t.serve();
    const { client, transport } = await connect(`${base}/package/fixture-echo-mcp/mcp`);
    const controller = new AbortController();
    const call = client.callTool({ name: 'hang', arguments: {} }, undefined, { signal: controller.signal });
    // Cancelled once the child has it (not a timer: a loaded machine takes its time).
    const atChild = () => (t?.gw.processes.list() ?? []).some((p) => p.process.inFlight > 0);
    expect(await eventually(atChild, 30_000)).toBe(true);
    controller.abort('user gave up');
    await expect(call).rejects.toThrow();
    const processId = t.gw.sessions.get(transport.sessionId as string, 'local')?.processIds[0];
    expect(
      await eventually(
        async () =>
          ((await t?.get(`/logs/${processId}`))?.body.lines ?? [])
            .join('\n')
            .match(/cancelled request \d+#\d+/) !== null,
        3000,
      ),
    ).toBe(true);
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'after cancel' } }))).toBe(
      'after cancel',
    );
    await client.close();
  });

  it('survives clients that disconnect mid-response', async () => {
    t = await startTestGateway();
    const base = await t.serve();
    const url = `${base}/package/fixture-echo-mcp/mcp`;
    const { client, transport } = await connect(url);
    for (let i = 0; i < 5; i++) {
      const controller = new AbortController();
      const pending = fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': transport.sessionId as string,
          'mcp-protocol-version': '2025-11-25',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: `gone-${i}`,
          method: 'tools/call',
          params: { name: 'progress', arguments: {}, _meta: { progressToken: `gone-${i}` } },
        }),
        signal: controller.signal,
      }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 15));
      controller.abort();
      await pending;
    }
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'still serving' } }))).toBe(
      'still serving',
    );
    expect((await t.get('/health')).body.status).toBe('ok');
    await client.close();
  });

  it('expires idle sessions and stops their children', async () => {
    t = await startTestGateway({ session: { idleTimeoutMs: 300 } });
    const base = await t.serve();
    const { client, transport } = await connect(`${base}/package/fixture-echo-mcp/mcp?mode=isolated`);
    const pid = hostInfo(text(await client.callTool({ name: 'get_info', arguments: {} }))).pid;
    // list() rather than get(): get() counts as activity and would keep the session alive.
    expect(
      await eventually(() => !t?.gw.sessions.list().some((s) => s.id === transport.sessionId), 30_000),
    ).toBe(true);
    expect(await waitDead([pid], 5000)).toBe(true);
    await client.close().catch(() => undefined);
  });

  it('answers CORS preflights for allowed origins, exposing the MCP headers', async () => {
    t = await startTestGateway();
    const res = await t.gw.app.request('/package/fixture-echo-mcp/mcp', {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:6274',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, mcp-session-id, x-mcp-env-api_key',
      },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:6274');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/mcp-session-id/i);
    const simple = await t.gw.app.request('/package/fixture-echo-mcp/mcp', {
      method: 'GET',
      headers: { origin: 'http://localhost:6274' },
    });
    expect(simple.headers.get('access-control-expose-headers')).toMatch(/Mcp-Session-Id/);
    const foreign = await t.gw.app.request('/package/fixture-echo-mcp/mcp', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('BoundedEventStore', () => {
  it('replays the events after the last seen id on the same stream, within its bound', async () => {
    const store = new BoundedEventStore(3);
    const ids = [];
    for (let i = 1; i <= 4; i++)
      ids.push(await store.storeEvent(i % 2 ? 'a' : 'b', { jsonrpc: '2.0', method: `m${i}` }));
    const replayed: string[] = [];
    const stream = await store.replayEventsAfter(ids[0] as string, {
      send: async (_id, m) => void replayed.push((m as { method: string }).method),
    });
    expect(stream).toBe('a');
    expect(replayed).toEqual(['m3']);
  });
});
