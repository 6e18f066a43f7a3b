/** Streamable HTTP transport rules of the 2025 eras, checked with raw requests. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { MCP_HEADERS } from '../support/mcp-raw.js';
import { eventually } from '../support/pids.js';

describe('Streamable HTTP transport rules (2025 eras)', () => {
  let t: TestGateway;
  let url: string;
  let session: string;
  const headers = (extra: Record<string, string> = {}) => ({
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-session-id': session,
    'mcp-protocol-version': '2025-03-26',
    ...extra,
  });
  const post = (body: unknown, extra: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: headers(extra),
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    t = await startTestGateway({ request: { maxBodyBytes: 64 * 1024 } });
    url = `${await t.serve()}/package/fixture-echo-mcp/mcp`;
    const init = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-03-26',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    });
    session = init.headers.get('mcp-session-id') as string;
    await init.text();
    expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves a session only on the package path that created it', async () => {
    const elsewhere = url.replace('/package/fixture-echo-mcp/', '/package/fixture-dual-mcp/');
    const res = await fetch(elsewhere, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ jsonrpc: '2.0', id: 'x', method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('SESSION_NOT_FOUND');
    expect(t.gw.processes.list().map((p) => p.meta.packageName)).not.toContain('fixture-dual-mcp');
    const home = await post({ jsonrpc: '2.0', id: 'y', method: 'tools/list' });
    expect(home.status).toBe(200);
    await home.text();
  });

  it('answers JSON nested 10,000 deep with a 400 and the reason, in a session and statelessly', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const call = `{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":{"name":"echo","arguments":{"text":${deep}}}}`;
    const inSession = await post(call);
    expect(inSession.status).toBe(400);
    expect(await inSession.json()).toMatchObject({
      code: 'MALFORMED_REQUEST',
      message: expect.stringMatching(/nests 10003 levels deep; at most 512/),
      guidance: { maxDepth: 512 },
    });
    const modern = `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"x":${deep}}}`;
    const stateless = await fetch(url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
      body: modern,
    });
    expect(stateless.status).toBe(400);
    expect(((await stateless.json()) as { code: string }).code).toBe('MALFORMED_REQUEST');
    // The session still works.
    const after = await post({ jsonrpc: '2.0', id: 'ok', method: 'tools/list' });
    expect(after.status).toBe(200);
    await after.text();
  });

  it('answers a 2025-03-26 batch of requests', async () => {
    const res = await post([
      {
        jsonrpc: '2.0',
        id: 'b1',
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'one' } },
      },
      {
        jsonrpc: '2.0',
        id: 'b2',
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'two' } },
      },
    ]);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('"id":"b1"');
    expect(text).toContain('"id":"b2"');
    expect(text).toContain('one');
    expect(text).toContain('two');
  });

  it('relays a log message on the stream of the request it belongs to', async () => {
    const res = await post({
      jsonrpc: '2.0',
      id: 'l1',
      method: 'tools/call',
      params: { name: 'log', arguments: {} },
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await res.text();
    expect(text).toContain('notifications/message');
    expect(text).toContain('hello from the server');
    expect(text).toContain('"id":"l1"');
  });

  it('delivers change notifications on the session GET stream', async () => {
    const controller = new AbortController();
    const stream = await fetch(url, {
      method: 'GET',
      headers: {
        accept: 'text/event-stream',
        'mcp-session-id': session,
        'mcp-protocol-version': '2025-03-26',
      },
      signal: controller.signal,
    });
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    await post({
      jsonrpc: '2.0',
      id: 'n1',
      method: 'tools/call',
      params: { name: 'notify_list_changed', arguments: {} },
    }).then((r) => r.text());
    let seen = '';
    while (!seen.includes('list_changed')) seen += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(seen).toContain('notifications/tools/list_changed');
  });

  it.each([
    [{ 'content-type': 'text/plain' }, '{}', 415],
    [{ 'mcp-protocol-version': '1999-01-01' }, { jsonrpc: '2.0', id: 'v', method: 'tools/list' }, 400],
  ])('answers a request with headers %j with the transport status', async (extra, body, status) => {
    expect((await post(body, extra as Record<string, string>)).status).toBe(status);
  });

  it.each([
    ['jsonrpc "1.0"', { jsonrpc: '1.0', id: 'a', method: 'tools/list' }],
    ['an object as id', { jsonrpc: '2.0', id: { x: 1 }, method: 'tools/list' }],
    ['a number as method', { jsonrpc: '2.0', id: 'c', method: 42 }],
    ['an empty batch', []],
  ])('answers invalid JSON-RPC in a session (%s) with -32600, not a silent 202', async (_what, body) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
  });

  it('refuses a second request reusing an id that is in flight, and the first still gets its answer', async () => {
    const first = post({
      jsonrpc: '2.0',
      id: 'dup',
      method: 'tools/call',
      params: { name: 'progress', arguments: {} },
    });
    // The progress tool answers after a few hundred ms: the id is in flight meanwhile (waited for, not timed).
    const dupInFlight = () => t.gw.sessions.get(session, 'local')?.port.inFlight('dup') === true;
    expect(await eventually(dupInFlight, 30_000)).toBe(true);
    const second = await post({ jsonrpc: '2.0', id: 'dup', method: 'tools/list' });
    expect(second.status).toBe(400);
    expect(await second.json()).toMatchObject({
      error: { code: -32600, message: expect.stringMatching(/already in flight/) },
    });
    const answered = await (await first).text();
    expect(answered).toContain('"id":"dup"');
    expect(answered).toContain('done');
    // Once answered, the id may be used again.
    const again = await post({ jsonrpc: '2.0', id: 'dup', method: 'tools/list' });
    expect(again.status).toBe(200);
    await again.text();
  });

  it('refuses bodies over MAX_BODY_BYTES with 413', async () => {
    const big = {
      jsonrpc: '2.0',
      id: 'big',
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'x'.repeat(100 * 1024) } },
    };
    const res = await post(big);
    expect(res.status).toBe(413);
    const noSession = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ ...big, method: 'initialize' }),
    });
    expect(noSession.status).toBe(413);
    expect(await noSession.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  const initialize = (id: number) => ({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });

  it('refuses initialize in a batch, even a batch of one, and creates nothing', async () => {
    const sessionsBefore = t.gw.sessions.size;
    for (const body of [
      [initialize(1)],
      [initialize(2), { jsonrpc: '2.0', method: 'notifications/initialized' }],
    ]) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { ...MCP_HEADERS },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('mcp-session-id')).toBeNull();
      const answer = (await res.json()) as { error: { code: number; message: string } };
      expect(answer.error).toMatchObject({ code: -32600, message: expect.stringMatching(/batch/) });
    }
    expect(t.gw.sessions.size).toBe(sessionsBefore);
  });

  it('refuses a second initialize inside a session with -32600; the session goes on', async () => {
    const res = await post(initialize(3));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32600);
    expect((await post({ jsonrpc: '2.0', id: 'after', method: 'tools/list' })).status).toBe(200);
  });

  it('refuses a mode nobody serves on every protocol, naming the valid ones', async () => {
    const base = url.replace(/\/mcp$/, '');
    const tries = [
      fetch(`${base}/stdio?mode=bogus`),
      fetch(`${base}/sse?mode=bogus`),
      fetch(`${base}/mcp`, {
        method: 'POST',
        headers: { ...MCP_HEADERS, 'x-mcp-mode': 'bogus' },
        body: JSON.stringify(initialize(4)),
      }),
      fetch(`${base}/mcp?mode=bogus`, {
        method: 'POST',
        headers: { ...MCP_HEADERS, 'mcp-protocol-version': '2026-07-28' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 5,
          method: 'tools/list',
          params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
        }),
      }),
    ];
    for (const res of await Promise.all(tries)) {
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        code: 'INVALID_PARAMETER',
        guidance: { whatYouTried: 'mode', validValues: ['shared', 'isolated'] },
      });
    }
  });
});
