/**
 * Per-principal tool permissions through the real gateway and real SDK clients: lists filtered and
 * calls refused (TOOL_NOT_ALLOWED, the child never asked) in shared and isolated 2025 sessions, in
 * 2026-07-28 stateless requests and over legacy SSE; a package no rule grants refused before install;
 * changes through the admin API taking effect in sessions already open; unnamed principals untouched.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { loadPermissions } from '../../src/startup-checks.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { MCP_HEADERS } from '../support/mcp-raw.js';

const alice = generateApiKey('alice', 'user');
const bob = generateApiKey('bob', 'user');
const ops = generateApiKey('ops', 'admin');
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const RULES = {
  rules: [{ principal: 'alice', packages: ['fixture-echo-mcp'], tools: ['echo', 'get_*'] }],
};

describe('tool permissions per principal', () => {
  let t: TestGateway;
  let base: string;
  beforeAll(async () => {
    t = await startTestGateway({ auth: { apiKeys: [alice.entry, bob.entry, ops.entry] } });
    base = await t.serve();
    const put = await fetch(`${base}/permissions`, {
      method: 'PUT',
      headers: { ...bearer(ops.key), 'content-type': 'application/json' },
      body: JSON.stringify(RULES),
    });
    expect(put.status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  const connect = async (key: string, query = '') => {
    const client = new Client({ name: 'perm-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/package/fixture-echo-mcp/mcp${query}`), {
        requestInit: { headers: bearer(key) },
      }),
    );
    return client;
  };
  const names = async (c: Client) => (await c.listTools()).tools.map((x) => x.name).sort();
  const refused = async (c: Client, tool: string) => {
    const err = await c.callTool({ name: tool, arguments: {} }).then(
      () => undefined,
      (e: unknown) => e as { code: number; data?: { code?: string } },
    );
    expect(err?.data?.code).toBe('TOOL_NOT_ALLOWED');
    expect(err?.code).toBe(-32602);
  };

  it('only admins read and change the rules; a bad rule is refused with the reason', async () => {
    expect((await fetch(`${base}/permissions`, { headers: bearer(alice.key) })).status).toBe(403);
    const got = (await (await fetch(`${base}/permissions`, { headers: bearer(ops.key) })).json()) as {
      rules: unknown[];
    };
    expect(got.rules).toHaveLength(1);
    const bad = await fetch(`${base}/permissions`, {
      method: 'PUT',
      headers: { ...bearer(ops.key), 'content-type': 'application/json' },
      body: JSON.stringify({ rules: [{ principal: 'alice', tools: 'echo' }] }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/rules\.0\.tools/);
  });

  it('filters lists and refuses calls in shared and isolated sessions; the child never hears them', async () => {
    const shared = await connect(alice.key);
    const second = await connect(alice.key); // the same shared child
    const isolated = await connect(alice.key, '?mode=isolated');
    for (const c of [shared, second, isolated]) {
      expect(await names(c)).toEqual(['echo', 'get_argv', 'get_env', 'get_info']);
      await refused(c, 'crash_now');
    }
    // Had the child heard crash_now, it would have exited: it serves on.
    const echo = (await shared.callTool({ name: 'echo', arguments: { text: 'still here' } })) as {
      content: Array<{ text: string }>;
    };
    expect(echo.content[0]?.text).toContain('still here');
    // Bob is named by no rule: everything.
    const b = await connect(bob.key);
    expect(await names(b)).toContain('crash_now');
    await Promise.all([shared, second, isolated, b].map((c) => c.close()));
  });

  it('applies to 2026-07-28 stateless requests and legacy SSE too', async () => {
    const post = (body: object) =>
      fetch(`${base}/package/fixture-echo-mcp/mcp`, {
        method: 'POST',
        headers: {
          ...MCP_HEADERS,
          ...bearer(alice.key),
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': (body as { method: string }).method,
          ...((body as { params?: { name?: string } }).params?.name
            ? { 'mcp-name': (body as { params: { name: string } }).params.name }
            : {}),
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          ...body,
          params: {
            ...(body as { params?: object }).params,
            _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' },
          },
        }),
      });
    const list = (await (await post({ method: 'tools/list' })).json()) as {
      result: { tools: Array<{ name: string }> };
    };
    expect(list.result.tools.map((x) => x.name).sort()).toEqual(['echo', 'get_argv', 'get_env', 'get_info']);
    const call = (await (
      await post({ method: 'tools/call', params: { name: 'echo_meta', arguments: {} } })
    ).json()) as { error?: { data?: { code?: string } } };
    expect(call.error?.data?.code, JSON.stringify(call)).toBe('TOOL_NOT_ALLOWED');

    const sse = new Client({ name: 'perm-sse', version: '1.0.0' });
    await sse.connect(
      new SSEClientTransport(new URL(`${base}/package/fixture-echo-mcp/sse`), {
        requestInit: { headers: bearer(alice.key) },
        eventSourceInit: {
          fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, ...bearer(alice.key) } }),
        },
      }),
    );
    expect(await names(sse)).toEqual(['echo', 'get_argv', 'get_env', 'get_info']);
    await refused(sse, 'crash');
    await sse.close();
  });

  it('follows a change of the rules in a session already open, and refuses packages no rule grants', async () => {
    const c = await connect(alice.key);
    expect(await names(c)).toContain('get_env');
    const put = await fetch(`${base}/permissions`, {
      method: 'PUT',
      headers: { ...bearer(ops.key), 'content-type': 'application/json' },
      body: JSON.stringify({
        rules: [{ principal: 'role:user', packages: ['fixture-echo-mcp'], tools: ['echo'] }],
      }),
    });
    expect(put.status).toBe(200);
    expect(await names(c)).toEqual(['echo']);
    await refused(c, 'get_env');
    await c.close();
    // A package no rule that names alice grants: refused before anything is installed or started.
    const before = t.gw.processes.list().length;
    const other = await fetch(`${base}/package/fixture-dual-mcp/stdio`, { headers: bearer(alice.key) });
    expect(other.status).toBe(403);
    expect(((await other.json()) as { code: string; guidance: { rule: string } }).guidance.rule).toBe(
      'permissions',
    );
    expect(t.gw.processes.list()).toHaveLength(before);
    // Admins are named by no rule here: they may.
    expect((await fetch(`${base}/package/fixture-dual-mcp/stdio`, { headers: bearer(ops.key) })).status).toBe(
      200,
    );
  });

  it('keeps the rules in TOOL_PERMISSIONS_FILE: written by PUT, read at the next start', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'perm-file-'));
    const file = path.join(dir, 'permissions.json');
    try {
      const g = await startTestGateway({ auth: { apiKeys: [ops.entry] }, permissions: { file } });
      const put = await g.get('/permissions', {
        method: 'PUT',
        headers: { ...bearer(ops.key), 'content-type': 'application/json' },
        body: JSON.stringify(RULES),
      });
      await g.close();
      expect(put.status).toBe(200);
      expect(JSON.parse(await readFile(file, 'utf8')).rules[0].principal).toBe('alice');
      expect(loadPermissions(file).document.rules[0]?.tools).toEqual(['echo', 'get_*']);
      await writeFile(file, '{"rules":[{"principal":"x","tools":"nope"}]}');
      expect(() => loadPermissions(file)).toThrow(/TOOL_PERMISSIONS_FILE .*rules\.0\.tools/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
