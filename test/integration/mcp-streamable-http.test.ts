/**
 * Streamable HTTP (2025 eras) through the gateway with the official TypeScript SDK client, against the
 * fixture MCP servers from the local registry.
 */
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway, useServedGateway } from '../support/gateway-harness.js';
import { MCP_HEADERS } from '../support/mcp-raw.js';
import { eventually, hostInfo, isAlive, waitDead } from '../support/pids.js';

type TextResult = { content: Array<{ type: string; text: string }>; isError?: boolean };

async function connect(url: string, headers: Record<string, string> = {}, opts: { sampling?: boolean } = {}) {
  const client = new Client(
    { name: 'gateway-test', version: '1.0.0' },
    { capabilities: opts.sampling ? { sampling: {} } : {} },
  );
  if (opts.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: 'assistant',
      content: { type: 'text', text: 'hi from the client' },
      model: 'test-model',
    }));
  }
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  await client.connect(transport);
  return { client, transport };
}

const text = (r: unknown) => (r as TextResult).content[0]?.text ?? '';

const INIT_PARAMS = {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 'raw', version: '1' },
};

/** A raw Streamable HTTP POST of `body`, with the usual headers overridden by `headers`. */
function postJson(url: string, headers: Record<string, string>, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, body: JSON.stringify(body) });
}

/** A raw tools/list POST in session `sessionId` (to see how the gateway answers for that session). */
function listToolsIn(url: string, sessionId: string): Promise<Response> {
  return postJson(url, { 'mcp-session-id': sessionId }, { jsonrpc: '2.0', id: 9, method: 'tools/list' });
}

describe('Streamable HTTP sessions', () => {
  let t: TestGateway;
  let base: string;
  useServedGateway(
    (gw, url) => {
      t = gw;
      base = url;
    },
    { request: { timeoutMs: 1500 }, process: { restartBackoffMs: 50 } },
  );

  it('initializes, lists and calls tools, with configuration from headers', async () => {
    const { client, transport } = await connect(`${base}/package/fixture-echo-mcp/mcp`, {
      'X-MCP-Env-API_KEY': 'header-secret-1',
    });
    try {
      expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(client.getServerVersion()).toMatchObject({ name: 'fixture-echo-mcp', version: '2.0.0' });
      const tools = await client.listTools();
      expect(tools.tools.map((x) => x.name)).toContain('echo');
      expect(text(await client.callTool({ name: 'echo', arguments: { text: 'hello' } }))).toBe('hello');
      expect(text(await client.callTool({ name: 'get_env', arguments: { name: 'API_KEY' } }))).toBe(
        'header-secret-1',
      );
      expect(t.logs.join('')).not.toContain('header-secret-1');
    } finally {
      await client.close();
    }
  });

  it('shares one child among sessions of one principal and configuration; mode=isolated gets its own', async () => {
    const a = await connect(`${base}/package/fixture-echo-mcp@1.2.0/mcp?apiKey=same`);
    const b = await connect(`${base}/package/fixture-echo-mcp@1.2.0/mcp?apiKey=same`);
    const c = await connect(`${base}/package/fixture-echo-mcp@1.2.0/mcp?apiKey=same&mode=isolated`);
    const d = await connect(`${base}/package/fixture-echo-mcp@1.2.0/mcp?apiKey=other`);
    try {
      const pid = async (x: { client: Client }) =>
        hostInfo(text(await x.client.callTool({ name: 'get_info', arguments: {} }))).pid;
      const [pidA, pidB, pidC, pidD] = [await pid(a), await pid(b), await pid(c), await pid(d)];
      expect(pidA).toBe(pidB);
      expect(pidC).not.toBe(pidA);
      expect(pidD).not.toBe(pidA); // another configuration (environment) never shares
      expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
    } finally {
      for (const x of [a, b, c, d]) await x.client.close();
    }
  });

  it('hands a new session the process a stdio request started (warm pool), and refills the pool', async () => {
    const launched = await t.get('/package/fixture-echo-mcp@1.1.0/stdio?apiKey=pool');
    expect(launched.body.endpoints.mcp).toMatch(/\/package\/fixture-echo-mcp@1\.1\.0\/mcp$/);
    expect(launched.body.clientConfig.mcpServers['fixture-echo-mcp']).toMatchObject({
      headers: { 'X-MCP-Env-API_KEY': '<API_KEY>' },
    });
    const pid = t.gw.processes.get(launched.body.processId)?.process.pid;
    const { client } = await connect(`${base}/package/fixture-echo-mcp@1.1.0/mcp`, {
      'X-MCP-Env-API_KEY': 'pool',
    });
    try {
      expect(hostInfo(text(await client.callTool({ name: 'get_info', arguments: {} }))).pid).toBeGreaterThan(
        0,
      );
      expect(t.gw.sessions.list().map((s) => s.processId)).toContain(launched.body.processId);
      expect(t.gw.processes.get(launched.body.processId)?.process.pid).toBe(pid);
      expect(await eventually(() => t.logs.some((l) => l.includes('warm spare ready')), 30_000)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('ends the session and its process on DELETE; the id then answers 404', async () => {
    const { client, transport } = await connect(`${base}/package/fixture-echo-mcp@1.0.0/mcp?mode=isolated`);
    const pid = hostInfo(text(await client.callTool({ name: 'get_info', arguments: {} }))).pid;
    const sessionId = transport.sessionId as string;
    await transport.terminateSession();
    expect(await waitDead([pid], 5000)).toBe(true);
    const res = await listToolsIn(`${base}/package/fixture-echo-mcp@1.0.0/mcp?mode=isolated`, sessionId);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'SESSION_NOT_FOUND' });
    await client.close();
  });

  it('answers 400 without a session, 403 for a foreign Origin, 406 for a bad Accept', async () => {
    const url = `${base}/package/fixture-echo-mcp/mcp`;
    const post = (headers: Record<string, string>, body: unknown) => postJson(url, headers, body);
    expect((await post({}, { jsonrpc: '2.0', id: 1, method: 'tools/list' })).status).toBe(400);
    const foreign = await post(
      { origin: 'https://evil.example' },
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} },
    );
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ code: 'ORIGIN_NOT_ALLOWED' });
    const { transport } = await connect(url);
    const badAccept = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/plain',
        'mcp-session-id': transport.sessionId as string,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(badAccept.status).toBe(406);
    await transport.terminateSession();
  });

  it('creates no session and no child for an initialize the transport refuses (406, 415, 400)', async () => {
    const url = `${base}/package/fixture-grandchild-mcp/mcp`; // a package no other test here starts
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: INIT_PARAMS };
    const cases: Array<[Record<string, string>, unknown, number]> = [
      [{ accept: 'application/json' }, init, 406],
      [{ 'content-type': 'text/plain' }, init, 415],
      [{}, [init, { jsonrpc: '2.0', id: 2, method: 'tools/list' }], 400],
      [{}, { jsonrpc: '1.0', id: 1, method: 'initialize', params: INIT_PARAMS }, 400],
    ];
    for (const [headers, body, status] of cases) {
      const res = await postJson(url, headers, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.headers.get('mcp-session-id')).toBeNull();
      expect(
        ((await res.json()) as { error: { data: { guidance: string } } }).error.data.guidance,
      ).toBeTruthy();
    }
    expect(t.gw.sessions.list().filter((s) => s.packageName === 'fixture-grandchild-mcp')).toEqual([]);
    expect(t.gw.processes.list().filter((p) => p.meta.packageName === 'fixture-grandchild-mcp')).toEqual([]);
  });

  it('ends a session whose child is stopped: /sessions no longer lists it and its client gets 404', async () => {
    const { client, transport } = await connect(`${base}/package/fixture-echo-mcp/mcp?stopMe=1`);
    const sessionId = transport.sessionId as string;
    const processId = t.gw.sessions.get(sessionId, 'local')?.processIds[0] as string;
    expect((await t.get('/sessions')).body.sessions.map((s: { id: string }) => s.id)).toContain(sessionId);
    // The process shows the sessions it serves, with their real transport.
    expect((await t.get(`/processes/${processId}`)).body.sessions).toEqual([
      { id: sessionId, transport: 'streamable', mode: 'shared' },
    ]);
    expect((await t.get(`/processes/${processId}`, { method: 'DELETE' })).status).toBe(200);
    expect((await t.get('/sessions')).body.sessions.map((s: { id: string }) => s.id)).not.toContain(
      sessionId,
    );
    const res = await listToolsIn(`${base}/package/fixture-echo-mcp/mcp?stopMe=1`, sessionId);
    expect(res.status).toBe(404);
    await client.close().catch(() => undefined);
  });

  it('relays progress, log messages and a sampling round trip', async () => {
    const { client } = await connect(`${base}/package/fixture-echo-mcp/mcp`, {}, { sampling: true });
    try {
      const seen: number[] = [];
      const r = await client.callTool({ name: 'progress', arguments: {} }, undefined, {
        onprogress: (p) => seen.push(p.progress),
      });
      expect(text(r)).toBe('done');
      expect(seen).toEqual([1, 2, 3]);
      expect(text(await client.callTool({ name: 'sample', arguments: {} }))).toBe(
        'client said: hi from the client',
      );
    } finally {
      await client.close();
    }
  });

  it('fails a call at once when the server crashes, then continues on the restarted server', async () => {
    const { client } = await connect(`${base}/package/fixture-echo-mcp/mcp?crashTest=1`);
    try {
      const before = hostInfo(text(await client.callTool({ name: 'get_info', arguments: {} }))).pid;
      const started = Date.now();
      await expect(client.callTool({ name: 'crash_now', arguments: {} })).rejects.toThrow(/crashed/);
      expect(Date.now() - started).toBeLessThan(1500);
      const after = await eventually(
        async () => {
          try {
            return hostInfo(text(await client.callTool({ name: 'get_info', arguments: {} }))).pid !== before;
          } catch {
            return false;
          }
        },
        8000,
        200,
      );
      expect(after).toBe(true);
      expect(isAlive(before)).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('times out a request that is never answered and cancels it at the server', async () => {
    const { client, transport } = await connect(`${base}/package/fixture-echo-mcp/mcp?timeoutTest=1`);
    try {
      await expect(client.callTool({ name: 'hang', arguments: {} })).rejects.toThrow(
        /did not answer tools\/call within 1500 ms/,
      );
      const session = t.gw.sessions.get(transport.sessionId as string, 'local');
      const cancelled = await eventually(async () => {
        const logs = await t.get(`/logs/${session?.processIds[0]}`);
        return /cancelled request \d+#\d+/.test(logs.body.lines.join('\n'));
      }, 3000);
      expect(cancelled).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe('big messages, at default settings', () => {
  it('round-trips a 4 MiB argument and result intact', async () => {
    // A gateway of its own at defaults: the suite above shortens the request timeout to test it, and a
    // loaded machine may take longer than that to move 8 MiB.
    const t = await startTestGateway();
    const { client } = await connect(`${await t.serve()}/package/fixture-echo-mcp/mcp`);
    try {
      const big = `${'x'.repeat(4 * 1024 * 1024 - 7)}the-end`;
      const r = await client.callTool({ name: 'echo', arguments: { text: big } });
      expect(text(r).length).toBe(big.length);
      expect(text(r).endsWith('the-end')).toBe(true);
    } finally {
      await client.close();
      await t.close();
    }
  });
});

describe('the process limit reclaims, and refuses only when everything is busy', () => {
  it('reclaims spares first, then the least recently active idle session; 503 when all are busy', async () => {
    const t = await startTestGateway({ process: { maxProcesses: 2, warmPoolSize: 1 } });
    const base = await t.serve();
    const opened: Client[] = [];
    try {
      const first = await connect(`${base}/package/fixture-echo-mcp@1.0.0/mcp?mode=isolated`);
      opened.push(first.client);
      expect(await eventually(() => t.gw.processes.activeCount() === 2, 30_000)).toBe(true);
      opened.push((await connect(`${base}/package/fixture-echo-mcp@1.1.0/mcp?mode=isolated`)).client); // takes the spare's place
      expect(t.logs.join('')).toContain('reclaimed for a new process at the limit');
      // Both sessions idle: a third one ends the least recently active (the first), whose id is then unknown.
      const third = await connect(`${base}/package/fixture-echo-mcp@1.2.0/mcp?mode=isolated`);
      opened.push(third.client);
      expect(
        (
          await listToolsIn(
            `${base}/package/fixture-echo-mcp@1.0.0/mcp?mode=isolated`,
            first.transport.sessionId as string,
          )
        ).status,
      ).toBe(404);
      // Now both children have a call in flight: nothing may give way, so the answer is 503 with Retry-After.
      const hung = opened
        .slice(1)
        .map((c) => c.callTool({ name: 'hang', arguments: {} }).catch(() => undefined));
      const allBusy = () => t.gw.processes.list().filter((p) => p.process.inFlight > 0).length === 2;
      expect(await eventually(allBusy, 30_000)).toBe(true);
      const refused = await fetch(`${base}/package/fixture-echo-mcp@1.3.0/mcp`, {
        method: 'POST',
        headers: MCP_HEADERS,
        body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: INIT_PARAMS }),
      });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBeTruthy();
      expect(await refused.json()).toMatchObject({
        code: 'PROCESS_LIMIT_REACHED',
        // The only principal here (the keyless local operator, an admin) holds them all, all busy.
        guidance: { scope: 'gateway', busy: 2 },
      });
      void hung;
    } finally {
      for (const c of opened) await c.close().catch(() => undefined);
      await t.close();
    }
  });
});

describe('abandoned sessions at default settings', () => {
  it('serves the Inspector CLI pattern: many abandoned sessions of one client share one child', async () => {
    const t = await startTestGateway();
    const base = await t.serve();
    try {
      // Each Inspector CLI call initializes, makes one request and leaves without DELETE.
      const url = `${base}/package/fixture-echo-mcp/mcp?apiKey=inspector`;
      const init = { jsonrpc: '2.0', id: 0, method: 'initialize', params: INIT_PARAMS };
      for (let i = 0; i < 25; i++) {
        const res = await postJson(url, {}, init);
        expect(res.status).toBe(200);
        await res.text();
        const listed = await listToolsIn(url, res.headers.get('mcp-session-id') as string);
        expect(listed.status).toBe(200);
        await listed.text();
      }
      expect(t.gw.sessions.size).toBe(25);
      expect(t.gw.processes.activeCount()).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('never lock anyone out: ten idle sessions of one key, then another principal and more sessions still start', async () => {
    const t = await startTestGateway();
    const base = await t.serve();
    const opened: Client[] = [];
    try {
      // Ten sessions with different configurations, abandoned (never closed), at the default limit of 10.
      for (let i = 0; i < 10; i++)
        opened.push((await connect(`${base}/package/fixture-echo-mcp/mcp?variant=v${i}`)).client);
      for (let i = 10; i < 14; i++) {
        const { client } = await connect(`${base}/package/fixture-echo-mcp/mcp?variant=v${i}`);
        expect((await client.listTools()).tools.length).toBeGreaterThan(0);
        opened.push(client);
      }
      expect(t.gw.processes.activeCount()).toBeLessThanOrEqual(10);
      expect((await t.get('/package/fixture-echo-mcp/stdio?variant=stdio')).status).toBe(200);
    } finally {
      for (const c of opened) await c.close().catch(() => undefined);
      await t.close();
    }
  });
});

describe('warm pool of several spares', () => {
  it('keeps WARM_POOL_SIZE spares per configuration; new sessions take them without waiting for a spawn', async () => {
    const t = await startTestGateway({ process: { warmPoolSize: 3 } });
    const base = await t.serve();
    const opened: Client[] = [];
    try {
      opened.push((await connect(`${base}/package/fixture-echo-mcp@1.3.0/mcp?mode=isolated`)).client);
      expect(
        await eventually(() => t.logs.filter((l) => l.includes('warm spare ready')).length === 3, 30_000),
      ).toBe(true);
      const spares = new Set(
        t.gw.processes
          .list()
          .filter((p) => p.owner === undefined && p.process.status === 'running')
          .map((p) => p.process.id),
      );
      expect(spares.size).toBe(3);
      const before = new Set(t.gw.sessions.list().map((x) => x.id));
      for (let i = 0; i < 3; i++)
        opened.push((await connect(`${base}/package/fixture-echo-mcp@1.3.0/mcp?mode=isolated`)).client);
      const fresh = t.gw.sessions.list().filter((x) => !before.has(x.id));
      expect(fresh.map((x) => x.processId).sort()).toEqual([...spares].sort());
    } finally {
      for (const c of opened) await c.close();
      await t.close();
    }
  });
});

describe('answer format in 2025-era sessions', () => {
  it('answers JSON when nothing streams before the result, SSE when progress comes first', async () => {
    const t = await startTestGateway();
    const base = await t.serve();
    const url = `${base}/package/fixture-echo-mcp/mcp`;
    const { client, transport } = await connect(url);
    const post = (body: unknown) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': transport.sessionId as string,
          'mcp-protocol-version': '2025-11-25',
        },
        body: JSON.stringify(body),
      });
    try {
      const plain = await post({
        jsonrpc: '2.0',
        id: 'j1',
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'json please' } },
      });
      expect(plain.headers.get('content-type')).toMatch(/application\/json/);
      expect(plain.headers.get('mcp-session-id')).toBe(transport.sessionId);
      expect(await plain.json()).toMatchObject({ id: 'j1', result: { content: [{ text: 'json please' }] } });
      const streamed = await post({
        jsonrpc: '2.0',
        id: 'j2',
        method: 'tools/call',
        params: { name: 'progress', arguments: {}, _meta: { progressToken: 'pt' } },
      });
      expect(streamed.headers.get('content-type')).toMatch(/text\/event-stream/);
      const text = await streamed.text();
      expect(text.match(/notifications\/progress/g)?.length).toBe(3);
      expect(text).toContain('"id":"j2"');
    } finally {
      await client.close();
      await t.close();
    }
  });
});

describe('warm spares wait at a low CPU priority', () => {
  const niceness = (pid: number) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  };
  it.runIf(process.getuid?.() === 0)(
    'runs spares at nice 10 and gives a claimed one normal priority',
    async () => {
      const t = await startTestGateway({ process: { warmPoolSize: 1 } });
      const base = await t.serve();
      const opened: Client[] = [];
      try {
        opened.push(
          (await connect(`${base}/package/fixture-echo-mcp@1.1.0/mcp?nice=1&mode=isolated`)).client,
        );
        expect(await eventually(() => t.logs.some((l) => l.includes('warm spare ready')), 30_000)).toBe(true);
        const spare = t.gw.processes
          .list()
          .find((p) => p.owner === undefined && p.process.status === 'running');
        expect(niceness(spare?.process.pid as number)).toBe(10);
        opened.push(
          (await connect(`${base}/package/fixture-echo-mcp@1.1.0/mcp?nice=1&mode=isolated`)).client,
        );
        expect(t.gw.processes.get(spare?.process.id as string)?.owner).toBeDefined();
        expect(niceness(spare?.process.pid as number)).toBe(0);
      } finally {
        for (const c of opened) await c.close();
        await t.close();
      }
    },
  );
});
