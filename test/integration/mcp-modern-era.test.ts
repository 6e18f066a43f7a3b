/**
 * The 2026-07-28 era (stateless, per-request _meta, no initialize) through the gateway with the v2 SDK
 * client pinned to that revision, and raw requests for the header rules.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway, useServedGateway } from '../support/gateway-harness.js';
import { hostInfo } from '../support/pids.js';

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** The headers a 2026-07-28 request carries (spec 2026-07-28 basic/transports/streamable-http "Request Metadata"). */
const headers = (method: string, name?: string) => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': method,
  ...(name ? { 'mcp-name': name } : {}),
});

describe('2026-07-28 stateless requests', () => {
  let t: TestGateway;
  let base: string;
  useServedGateway((gw, url) => {
    t = gw;
    base = url;
  });

  async function modernClient(path: string) {
    const client = new Client(
      { name: 'modern-test', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}${path}`)));
    return client;
  }

  it('serves tools to a pinned v2 client, sharing one child between clients', async () => {
    const a = await modernClient('/package/fixture-echo-mcp/mcp?apiKey=modern-key');
    const b = await modernClient('/package/fixture-echo-mcp/mcp?apiKey=modern-key');
    try {
      const tools = await a.listTools();
      expect(tools.tools.map((x) => x.name)).toContain('echo');
      const r1 = (await a.callTool({ name: 'get_info', arguments: {} })) as {
        content: Array<{ text: string }>;
      };
      const r2 = (await b.callTool({ name: 'get_info', arguments: {} })) as {
        content: Array<{ text: string }>;
      };
      expect(hostInfo(r1.content[0]?.text ?? '{}').pid).toBe(hostInfo(r2.content[0]?.text ?? '{}').pid);
      const env = (await b.callTool({ name: 'get_env', arguments: { name: 'API_KEY' } })) as {
        content: Array<{ text: string }>;
      };
      expect(env.content[0]?.text).toBe('modern-key');
      const processes = await t.get('/processes');
      expect(
        processes.body.processes.filter((p: { packageName: string }) => p.packageName === 'fixture-echo-mcp'),
      ).toHaveLength(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('answers server/discover, JSON for plain results and SSE when progress comes first', async () => {
    const url = `${base}/package/fixture-echo-mcp/mcp`;
    const discover = await fetch(url, {
      method: 'POST',
      headers: headers('server/discover'),
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: META } }),
    });
    expect(discover.status).toBe(200);
    const d = (await discover.json()) as {
      result: { supportedVersions: string[]; _meta: Record<string, { name: string }> };
    };
    expect(d.result.supportedVersions).toContain('2026-07-28');
    expect(d.result._meta['io.modelcontextprotocol/serverInfo']?.name).toBe('fixture-echo-mcp');

    const plain = await fetch(url, {
      method: 'POST',
      headers: headers('tools/call', 'echo'),
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'hi' }, _meta: META },
      }),
    });
    expect(plain.headers.get('content-type')).toMatch(/application\/json/);
    expect(await plain.json()).toMatchObject({
      id: 2,
      result: { content: [{ text: 'hi' }], resultType: 'complete' },
    });

    const streamed = await fetch(url, {
      method: 'POST',
      headers: headers('tools/call', 'progress'),
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'p1',
        method: 'tools/call',
        params: { name: 'progress', arguments: {}, _meta: { ...META, progressToken: 'tok-1' } },
      }),
    });
    expect(streamed.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await streamed.text();
    expect(text.match(/"progressToken":"tok-1"/g)?.length).toBe(3);
    expect(text).toContain('"id":"p1"');
  });

  it.each([
    [{ 'mcp-method': 'tools/list' }, 'tools/list', undefined, /MCP-Protocol-Version header is missing/],
    [
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call' },
      'tools/list',
      undefined,
      /Mcp-Method header value/,
    ],
    [
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'other' },
      'tools/call',
      'echo',
      /Mcp-Name header value 'other'/,
    ],
    [
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': '=?base64?ZWNobw==?=' },
      'tools/call',
      'echo',
      null,
    ],
  ])('validates headers against the body (%#)', async (hdrs, method, name, expected) => {
    const res = await fetch(`${base}/package/fixture-echo-mcp/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...hdrs },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method,
        params: { ...(name ? { name, arguments: { text: 'x' } } : {}), _meta: META },
      }),
    });
    const body = (await res.json()) as { error?: { code: number; message: string } };
    if (expected === null) {
      expect(res.status).toBe(200);
      expect(body.error).toBeUndefined();
    } else {
      expect(res.status).toBe(400);
      expect(body.error?.code).toBe(-32020);
      expect(body.error?.message).toMatch(expected);
    }
  });

  it('rejects an unknown modern version with the supported list', async () => {
    const res = await fetch(`${base}/package/fixture-echo-mcp/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2099-01-01',
        'mcp-method': 'tools/list',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/list',
        params: { _meta: { ...META, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } },
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: {
        code: -32022,
        data: { supported: expect.arrayContaining(['2026-07-28', '2025-11-25']), requested: '2099-01-01' },
      },
    });
  });

  it('answers a server request it cannot carry to a modern client with an error the server sees', async () => {
    const client = await modernClient('/package/fixture-echo-mcp/mcp?samplingTest=1');
    try {
      const r = (await client.callTool({ name: 'sample', arguments: {} })) as {
        content: Array<{ text: string }>;
      };
      expect(r.content[0]?.text).toMatch(
        /^client said: error: sampling\/createMessage cannot reach the client/,
      );
    } finally {
      await client.close();
    }
  });
});

describe('2026-07-28 subscriptions/listen', () => {
  it('acknowledges the honoured filter and streams matching change notifications', async () => {
    const t = await startTestGateway();
    const base = await t.serve();
    const url = `${base}/package/fixture-echo-mcp/mcp`;
    const controller = new AbortController();
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: headers('subscriptions/listen'),
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 'sub-1',
          method: 'subscriptions/listen',
          params: { notifications: { toolsListChanged: true, promptsListChanged: true }, _meta: META },
        }),
        signal: controller.signal,
      });
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let seen = '';
      const readUntil = async (needle: string) => {
        while (!seen.includes(needle)) seen += decoder.decode((await reader.read()).value);
      };
      await readUntil('acknowledged');
      expect(seen).toContain('"notifications":{"toolsListChanged":true}');
      expect(seen).toContain('"io.modelcontextprotocol/subscriptionId":"sub-1"');
      await fetch(url, {
        method: 'POST',
        headers: headers('tools/call', 'notify_list_changed'),
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: { name: 'notify_list_changed', arguments: {}, _meta: META },
        }),
      });
      await readUntil('notifications/tools/list_changed');
      expect(seen.split('\n').find((l) => l.includes('list_changed'))).toContain('sub-1');
    } finally {
      controller.abort();
      await t.close();
    }
  });
});

describe('2026-07-28 multi round-trip requests', () => {
  it('turns a child server request into an InputRequiredResult, and the retry completes the call', async () => {
    const t = await startTestGateway();
    const base = await t.serve();
    const url = `${base}/package/fixture-echo-mcp/mcp?mrtr=1`;
    const meta = { ...META, 'io.modelcontextprotocol/clientCapabilities': { sampling: {} } };
    const call = (id: number, extra: Record<string, unknown>) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': 'sample',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name: 'sample', arguments: {}, _meta: meta, ...extra },
        }),
      }).then((r) => r.json() as Promise<any>);
    try {
      const first = await call(1, {});
      expect(first.result).toMatchObject({
        resultType: 'input_required',
        inputRequests: { 'input-1': { method: 'sampling/createMessage' } },
      });
      expect(typeof first.result.requestState).toBe('string');
      const answer = { role: 'assistant', content: { type: 'text', text: 'mrtr answer' }, model: 'm' };
      const second = await call(2, {
        inputResponses: { 'input-1': answer },
        requestState: first.result.requestState,
      });
      expect(second).toMatchObject({
        id: 2,
        result: { content: [{ text: 'client said: mrtr answer' }], resultType: 'complete' },
      });
      const replay = await call(3, {
        inputResponses: { 'input-1': answer },
        requestState: first.result.requestState,
      });
      expect(replay.error).toMatchObject({
        code: -32602,
        message: expect.stringMatching(/unknown or expired/),
      });
    } finally {
      await t.close();
    }
  });
});
