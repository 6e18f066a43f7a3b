/**
 * Toolsets served as one MCP server (`/toolsets/{name}/mcp` and `/sse`), at default settings with keys
 * on, through real SDK clients and real children under the sandbox: an admin defines a toolset of three
 * fixture servers (one calls an HTTP API with the key stored in the toolset); clients see
 * `{alias}__{name}` tools, prompts and resources, call them, get progress, answer sampling and hear list
 * changes; 2025 sessions, legacy SSE and 2026-07-28 requests; each principal's children are its own and
 * its tool permissions hold; a toolset open to some principals only is unknown to the others; a server
 * that cannot start is left out and named; a change of the toolset ends its sessions; stored
 * parameters never show.
 */

import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { type FixtureApi, startFixtureApi } from '../support/fixture-api.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { MCP_HEADERS } from '../support/mcp-raw.js';
import { eventually } from '../support/pids.js';

const alice = generateApiKey('alice', 'user');
const bob = generateApiKey('bob', 'user');
const carol = generateApiKey('carol', 'user');
const ops = generateApiKey('ops', 'admin');
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const STORED_KEY = 'toolset-key-4d1e9a';
const API_KEY = 'good-toolset-7a2c';
const text = (r: unknown) => (r as { content: Array<{ text: string }> }).content[0]?.text ?? '';

describe('toolsets served as one MCP server', () => {
  let t: TestGateway;
  let base: string;
  let api: FixtureApi;
  const put = (name: string, body: unknown) =>
    fetch(`${base}/toolsets/${name}`, {
      method: 'PUT',
      headers: { ...bearer(ops.key), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const work = () => ({
    servers: [
      {
        alias: 'echo',
        package: 'fixture-echo-mcp',
        params: { apiKey: STORED_KEY },
        tools: ['echo', 'get_env', 'progress', 'sample', 'notify_*'],
      },
      { alias: 'conf', package: 'fixture-conformance-mcp' },
      {
        alias: 'api',
        package: 'fixture-api-mcp',
        params: { fixtureApiKey: API_KEY, fixtureApiUrl: api.url },
      },
    ],
  });
  const connect = async (key: string, name = 'work', capabilities = {}, query = '') => {
    const client = new Client({ name: 'toolset-test', version: '1.0.0' }, { capabilities });
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/toolsets/${name}/mcp${query}`), {
      requestInit: { headers: bearer(key) },
    });
    await client.connect(transport);
    return { client, transport };
  };
  const names = async (c: Client) => (await c.listTools()).tools.map((x) => x.name).sort();
  const callError = (c: Client, name: string) =>
    c.callTool({ name, arguments: {} }).then(
      () => undefined,
      (e: unknown) => e as { code: number; message: string; data?: { code?: string } },
    );

  beforeAll(async () => {
    api = await startFixtureApi();
    // Children have a network of their own: the host's loopback API is open to them only as listed.
    t = await startTestGateway({
      auth: { apiKeys: [alice.entry, bob.entry, carol.entry, ops.entry] },
      sandbox: { hostPorts: [String(api.port)] },
    });
    base = await t.serve();
    expect((await put('work', work())).status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    await api?.stop();
  });

  it('serves every server under its alias: tools, prompts, resources, templates, completions', async () => {
    const { client } = await connect(alice.key);
    try {
      const info = client.getServerVersion();
      expect(info?.name).toBe('toolset:work');
      const tools = await names(client);
      expect(tools.filter((n) => n.startsWith('echo__'))).toEqual([
        'echo__echo',
        'echo__get_env',
        'echo__notify_list_changed',
        'echo__progress',
        'echo__sample',
      ]);
      expect(tools).toContain('conf__test_simple_text');
      expect(tools).toContain('api__search');
      expect(tools.every((n) => /^(echo|conf|api)__/.test(n))).toBe(true);

      expect(text(await client.callTool({ name: 'echo__echo', arguments: { text: 'hi' } }))).toBe('hi');
      // The stored parameter reached the server as its variable; the client never carried it.
      expect(text(await client.callTool({ name: 'echo__get_env', arguments: { name: 'API_KEY' } }))).toBe(
        STORED_KEY,
      );
      const found = JSON.parse(
        text(await client.callTool({ name: 'api__search', arguments: { query: 'ts' } })),
      );
      expect(found).toEqual({ query: 'ts', results: ['first', 'second'] });
      expect(api.seen).toContainEqual({ path: '/v1/search', key: API_KEY });

      const outside = await callError(client, 'echo__get_info'); // the toolset's filter leaves it out
      expect(outside?.code).toBe(-32602);
      expect((await callError(client, 'nope__echo'))?.code).toBe(-32602);

      const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
      expect(prompts).toContain('conf__test_simple_prompt');
      const prompt = await client.getPrompt({
        name: 'conf__test_prompt_with_arguments',
        arguments: { arg1: 'a', arg2: 'b' },
      });
      expect(prompt.messages.length).toBeGreaterThan(0);

      const resources = (await client.listResources()).resources;
      expect(resources.map((r) => r.uri)).toContain('conf__test://static-text');
      expect(resources.every((r) => r.name.startsWith('conf__'))).toBe(true);
      const read = await client.readResource({ uri: 'conf__test://static-text' });
      expect(read.contents[0]?.uri).toBe('conf__test://static-text');
      const templates = (await client.listResourceTemplates()).resourceTemplates;
      expect(templates.map((x) => x.uriTemplate)).toEqual(['conf__test://template/{id}/data']);
      const fromTemplate = await client.readResource({ uri: 'conf__test://template/7/data' });
      expect(fromTemplate.contents[0]?.uri).toBe('conf__test://template/7/data');
      const completed = await client.complete({
        ref: { type: 'ref/prompt', name: 'conf__test_prompt_with_arguments' },
        argument: { name: 'arg1', value: 'par' },
      });
      expect(completed.completion.values).toEqual(['paris', 'park', 'party']);
    } finally {
      await client.close();
    }
  });

  it('carries progress, sampling and list changes between the client and the right server', async () => {
    const { client } = await connect(alice.key, 'work', { sampling: {} });
    try {
      client.setRequestHandler(CreateMessageRequestSchema, async () => ({
        role: 'assistant',
        model: 'test-model',
        content: { type: 'text', text: 'sampled through the toolset' },
      }));
      const progress: number[] = [];
      await client.callTool({ name: 'echo__progress', arguments: {} }, undefined, {
        onprogress: (p) => progress.push(p.progress),
      });
      expect(progress).toHaveLength(3);
      expect(text(await client.callTool({ name: 'echo__sample', arguments: {} }))).toContain(
        'sampled through the toolset',
      );
      const changed = new Promise<void>((resolve) =>
        client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
      );
      await client.callTool({ name: 'echo__notify_list_changed', arguments: {} });
      await changed;
    } finally {
      await client.close();
    }
  });

  it("runs each principal's servers as its own, shares them between its sessions, and keeps sessions apart", async () => {
    const a1 = await connect(alice.key);
    const a2 = await connect(alice.key);
    const b1 = await connect(bob.key);
    try {
      const sessions = (await (await fetch(`${base}/sessions`, { headers: bearer(ops.key) })).json()) as {
        sessions: Array<{ id: string; owner: string; packageName: string; processIds: string[] }>;
      };
      const mine = sessions.sessions.filter((s) => s.packageName === 'toolset:work');
      const of = (id: string | undefined) => mine.find((s) => s.id === id)?.processIds ?? [];
      expect(of(a1.transport.sessionId)).toHaveLength(3);
      expect(of(a2.transport.sessionId).sort()).toEqual(of(a1.transport.sessionId).sort());
      for (const p of of(b1.transport.sessionId)) expect(of(a1.transport.sessionId)).not.toContain(p);
      const env = await b1.client.callTool({ name: 'echo__get_env', arguments: { name: 'API_KEY' } });
      expect(text(env)).toBe(STORED_KEY);

      // Bob presenting Alice's session id finds nothing.
      const stolen = await fetch(`${base}/toolsets/work/mcp`, {
        method: 'POST',
        headers: { ...MCP_HEADERS, ...bearer(bob.key), 'mcp-session-id': a1.transport.sessionId ?? '' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
      });
      expect(stolen.status).toBe(404);
    } finally {
      for (const c of [a1, a2, b1]) await c.client.close();
    }
  });

  it('gives an isolated session children of its own, which stop when it ends', async () => {
    const shared = await connect(alice.key);
    const isolated = await connect(alice.key, 'work', {}, '?mode=isolated');
    try {
      const sessions = (await (await fetch(`${base}/sessions`, { headers: bearer(alice.key) })).json()) as {
        sessions: Array<{ id: string; mode: string; processIds: string[] }>;
      };
      const of = (id: string | undefined) => sessions.sessions.find((s) => s.id === id);
      const own = of(isolated.transport.sessionId);
      expect(own?.mode).toBe('isolated');
      expect(own?.processIds).toHaveLength(3);
      for (const p of own?.processIds ?? [])
        expect(of(shared.transport.sessionId)?.processIds).not.toContain(p);
      expect(text(await isolated.client.callTool({ name: 'echo__echo', arguments: { text: 'own' } }))).toBe(
        'own',
      );
      await isolated.transport.terminateSession();
      // The session's end stops its children (the DELETE is answered first).
      const gone = async () => {
        const left = (await (await fetch(`${base}/processes`, { headers: bearer(alice.key) })).json()) as {
          processes: Array<{ id: string }>;
        };
        return (own?.processIds ?? []).every((p) => !left.processes.some((x) => x.id === p));
      };
      expect(await eventually(gone, 30_000)).toBe(true);
    } finally {
      await isolated.client.close();
      await shared.client.close();
    }
  });

  it('speaks legacy SSE and 2026-07-28, with one merged server/discover', async () => {
    const sse = new Client({ name: 'sse-test', version: '1.0.0' });
    await sse.connect(
      new SSEClientTransport(new URL(`${base}/toolsets/work/sse`), {
        requestInit: { headers: bearer(alice.key) },
        eventSourceInit: {
          fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, ...bearer(alice.key) } }),
        },
      }),
    );
    try {
      expect(await names(sse)).toContain('echo__echo');
      expect(text(await sse.callTool({ name: 'echo__echo', arguments: { text: 'sse' } }))).toBe('sse');
    } finally {
      await sse.close();
    }

    const modern = new ModernClient(
      { name: 'modern-test', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await modern.connect(
      new ModernTransport(new URL(`${base}/toolsets/work/mcp`), {
        requestInit: { headers: bearer(alice.key) },
      }),
    );
    try {
      const tools = (await modern.listTools()).tools.map((x) => x.name);
      expect(tools).toContain('conf__test_simple_text');
      const r = await modern.callTool({ name: 'echo__echo', arguments: { text: 'modern' } });
      expect(text(r)).toBe('modern');
    } finally {
      await modern.close();
    }
    const discover = await fetch(`${base}/toolsets/work/mcp`, {
      method: 'POST',
      headers: {
        ...MCP_HEADERS,
        ...bearer(alice.key),
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'server/discover',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'server/discover',
        params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
      }),
    });
    const d = (await discover.json()) as { result: Record<string, any> };
    expect(d.result._meta['io.modelcontextprotocol/serverInfo'].name).toBe('toolset:work');
    expect(d.result.capabilities).toMatchObject({
      tools: { listChanged: true },
      prompts: {},
      resources: { subscribe: true },
      completions: {},
    });
  });

  it("applies each principal's tool permissions; servers it may not use are left out and named", async () => {
    const rules = { rules: [{ principal: 'carol', packages: ['fixture-echo-mcp'], tools: ['echo'] }] };
    const set = await fetch(`${base}/permissions`, {
      method: 'PUT',
      headers: { ...bearer(ops.key), 'content-type': 'application/json' },
      body: JSON.stringify(rules),
    });
    expect(set.status).toBe(200);
    try {
      const { client } = await connect(carol.key);
      try {
        expect(await names(client)).toEqual(['echo__echo']);
        expect(client.getInstructions()).toMatch(/\[conf\] unavailable now: POLICY_DENIED/);
        const refused = await callError(client, 'echo__get_env');
        expect(refused?.data?.code).toBe('TOOL_NOT_ALLOWED');
      } finally {
        await client.close();
      }
    } finally {
      await fetch(`${base}/permissions`, {
        method: 'PUT',
        headers: { ...bearer(ops.key), 'content-type': 'application/json' },
        body: JSON.stringify({ rules: [] }),
      });
    }
  });

  it('opens a toolset only to the principals it names; to the others it does not exist', async () => {
    const body = {
      principals: ['ali*'],
      servers: [{ alias: 'echo', package: 'fixture-echo-mcp', tools: ['echo'] }],
    };
    expect((await put('alices', body)).status).toBe(201);
    const { client } = await connect(alice.key, 'alices');
    try {
      expect(await names(client)).toEqual(['echo__echo']);
    } finally {
      await client.close();
    }
    const asBob = (path: string, init: RequestInit = {}) =>
      fetch(`${base}${path}`, { ...init, headers: { ...MCP_HEADERS, ...bearer(bob.key) } });
    const init = await asBob('/toolsets/alices/mcp', {
      method: 'POST',
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: {} }),
    });
    expect(init.status).toBe(404);
    expect(((await init.json()) as { code: string }).code).toBe('TOOLSET_NOT_FOUND');
    expect((await asBob('/toolsets/alices')).status).toBe(404);
    expect((await asBob('/toolsets/alices/client-config')).status).toBe(404);
    const listed = (await (await asBob('/toolsets')).json()) as { toolsets: Array<{ name: string }> };
    expect(listed.toolsets.map((x) => x.name)).not.toContain('alices');
    const forOps = (await (await fetch(`${base}/toolsets`, { headers: bearer(ops.key) })).json()) as {
      toolsets: Array<{ name: string; principals?: string[] }>;
    };
    expect(forOps.toolsets.find((x) => x.name === 'alices')?.principals).toEqual(['ali*']);
  });

  it('leaves out a server that cannot start, and refuses only when none can', async () => {
    expect(
      (
        await put('half', {
          servers: [
            { alias: 'ok', package: 'fixture-echo-mcp', tools: ['echo'] },
            { alias: 'down', package: 'fixture-crash-mcp' },
          ],
        })
      ).status,
    ).toBe(201);
    const { client } = await connect(alice.key, 'half');
    try {
      expect(await names(client)).toEqual(['ok__echo']);
      expect(client.getInstructions()).toMatch(/\[down\] unavailable now: SERVER_START_FAILED/);
    } finally {
      await client.close();
    }
    expect((await put('none', { servers: [{ alias: 'down', package: 'fixture-crash-mcp' }] })).status).toBe(
      201,
    );
    const refused = await fetch(`${base}/toolsets/none/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...bearer(alice.key) },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    });
    expect(refused.status).toBe(502);
    expect(((await refused.json()) as { code: string }).code).toBe('SERVER_START_FAILED');
  });

  it('ends its sessions when the toolset changes; answers clear errors; hands out client configurations', async () => {
    const { client, transport } = await connect(alice.key);
    expect((await put('work', work())).status).toBe(200);
    const gone = await fetch(`${base}/toolsets/work/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...bearer(alice.key), 'mcp-session-id': transport.sessionId ?? '' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list' }),
    });
    expect(gone.status).toBe(404);
    await client.close().catch(() => undefined);

    const missing = await fetch(`${base}/toolsets/nosuch/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...bearer(alice.key) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: {} }),
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'TOOLSET_NOT_FOUND', guidance: expect.any(Object) });
    const withParam = await fetch(`${base}/toolsets/work/mcp?apiKey=mine`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...bearer(alice.key) },
      body: '{}',
    });
    expect(withParam.status).toBe(400);
    expect(((await withParam.json()) as { code: string }).code).toBe('INVALID_PARAMETER');
    const anonymous = await fetch(`${base}/toolsets/work/mcp`, {
      method: 'POST',
      headers: MCP_HEADERS,
      body: '{}',
    });
    expect(anonymous.status).toBe(401);

    const configs = (await (
      await fetch(`${base}/toolsets/work/client-config`, { headers: bearer(alice.key) })
    ).json()) as Record<string, any>;
    expect(configs.cursor.mcpServers.work).toEqual({
      url: `${base}/toolsets/work/mcp`,
      headers: { Authorization: 'Bearer <GATEWAY_API_KEY>' },
    });
    expect(configs.claudeCode).toBe(
      `claude mcp add --transport http work ${base}/toolsets/work/mcp --header 'Authorization: Bearer <GATEWAY_API_KEY>'`,
    );
    expect(JSON.stringify(configs) + t.logs.join('')).not.toContain(STORED_KEY);
  });
});
