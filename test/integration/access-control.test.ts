/** API keys, roles, ownership, Host and Origin checks, and the start-up exposure rule, through the real app. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createGateway } from '../../src/gateway.js';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { INIT_2025, MCP_HEADERS, rawPost } from '../support/mcp-raw.js';

const alice = generateApiKey('alice', 'user');
const bob = generateApiKey('bob', 'user');
const ops = generateApiKey('ops', 'admin');
const bearer = (key: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${key}`,
  ...extra,
});

describe('API keys and roles', () => {
  let t: TestGateway;
  let base: string;
  beforeAll(async () => {
    t = await startTestGateway({
      auth: { apiKeys: [alice.entry, bob.entry, ops.entry] },
      process: { warmPoolSize: 0 },
    });
    base = await t.serve();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 401 with JSON guidance on every endpoint but /health when no key is sent', async () => {
    for (const p of [
      '/',
      '/processes',
      '/sessions',
      '/metrics',
      '/logs/x',
      '/package/fixture-echo-mcp/stdio',
    ]) {
      const res = await t.get(p);
      expect(res.status, p).toBe(401);
      expect(res.body).toMatchObject({ code: 'AUTH_REQUIRED', guidance: expect.any(Object) });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect((await t.get('/health')).status).toBe(200);
    expect(t.gw.processes.list()).toHaveLength(0);
  });

  it('hands out client configurations with the key as a placeholder, never the key, to the owner only', async () => {
    const launched = await t.get('/package/fixture-echo-mcp@1.1.0/stdio', {
      headers: { ...bearer(alice.key), 'X-MCP-Env-API_KEY': 'alice-upstream-secret' },
    });
    expect(launched.status).toBe(200);
    const server = launched.body.clientConfig.mcpServers['fixture-echo-mcp'];
    expect(server.headers).toEqual({
      Authorization: 'Bearer <GATEWAY_API_KEY>',
      'X-MCP-Env-API_KEY': '<API_KEY>',
    });
    expect(launched.body.clients.claudeCode).toContain("--header 'Authorization: Bearer <GATEWAY_API_KEY>'");
    expect(launched.body.clients.vscode.servers['fixture-echo-mcp'].type).toBe('http');
    const own = await t.get(`/processes/${launched.body.processId}/client-config`, {
      headers: bearer(alice.key),
    });
    expect(own.status).toBe(200);
    expect(own.body.cursor).toEqual(launched.body.clientConfig);
    for (const body of [launched.body, own.body]) {
      expect(JSON.stringify(body)).not.toContain(alice.key);
      expect(JSON.stringify(body)).not.toContain('alice-upstream-secret');
    }
    // Another user cannot read it (nor learn the process exists).
    const other = await t.get(`/processes/${launched.body.processId}/client-config`, {
      headers: bearer(bob.key),
    });
    expect(other.status).toBe(404);
    await t.get(`/processes/${launched.body.processId}`, { method: 'DELETE', headers: bearer(alice.key) });
  });

  it('lets a session be ended by its owner or an admin only (DELETE /sessions/{id})', async () => {
    const init = await fetch(`${base}/package/fixture-echo-mcp@1.0.0/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...bearer(alice.key) },
      body: INIT_2025,
    });
    expect(init.status).toBe(200);
    const id = init.headers.get('mcp-session-id') as string;
    await init.text();
    expect((await t.get(`/sessions/${id}`, { method: 'DELETE', headers: bearer(bob.key) })).status).toBe(404);
    expect(t.gw.sessions.has(id)).toBe(true);
    const ended = await t.get(`/sessions/${id}`, { method: 'DELETE', headers: bearer(ops.key) });
    expect(ended.body).toMatchObject({ success: true, sessionId: id, status: 'ended' });
    expect(t.gw.sessions.has(id)).toBe(false);
    expect((await t.get(`/sessions/${id}`, { method: 'DELETE', headers: bearer(alice.key) })).body.code).toBe(
      'SESSION_NOT_FOUND',
    );
    // The session's child stays (shared, warm); this test's own is stopped for the tests after it.
    for (const { process } of t.gw.processes.list().filter((p) => p.meta.owner === 'alice'))
      await t.gw.processes.stop(process.id);
  });

  it('says only its status on /health to callers without a valid key', async () => {
    for (const headers of [{}, bearer(`${alice.key}x`)]) {
      const res = await t.get('/health', { headers });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    }
    const asUser = await t.get('/health', { headers: bearer(alice.key) });
    expect(asUser.body).toMatchObject({
      status: 'ok',
      sandbox: expect.any(Object),
      processes: expect.any(Object),
    });
  });

  it('shows users no absolute host path in answers and listings; admins see the command line', async () => {
    const launched = await t.get('/package/fixture-echo-mcp/stdio?paths=1', { headers: bearer(bob.key) });
    expect(launched.status).toBe(200);
    const listed = await t.get(`/processes/${launched.body.processId}`, { headers: bearer(bob.key) });
    for (const body of [launched.body, listed.body]) {
      const text = JSON.stringify(body);
      expect(text).not.toContain(t.dir);
      expect(text).not.toContain(process.execPath);
      expect(body.connectionInfo.command).toBe('node');
      expect(body.connectionInfo.args.at(-1)).toMatch(/^<store>\/npm\/.*fixture-echo-mcp.*server\.cjs$/);
    }
    const asAdmin = await t.get(`/processes/${launched.body.processId}`, { headers: bearer(ops.key) });
    expect(asAdmin.body.connectionInfo.command).toBe(process.execPath);
    await t.get(`/processes/${launched.body.processId}`, { method: 'DELETE', headers: bearer(ops.key) });
  });

  it('refuses a wrong key and accepts Bearer and X-API-Key', async () => {
    const wrong = await t.get('/processes', { headers: bearer(`${alice.key}x`) });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('AUTH_INVALID');
    expect((await t.get('/processes', { headers: { 'x-api-key': 'mcp_nope' } })).status).toBe(401);
    expect((await t.get('/processes', { headers: bearer(alice.key) })).status).toBe(200);
    expect((await t.get('/processes', { headers: { 'x-api-key': bob.key } })).status).toBe(200);
  });

  it('shows a user only their own processes; admins see and stop every one', async () => {
    const launched = await t.get('/package/fixture-echo-mcp/stdio?greeting=hi', {
      headers: bearer(alice.key),
    });
    expect(launched.status).toBe(200);
    const id = launched.body.processId as string;
    const mine = await t.get('/processes', { headers: bearer(alice.key) });
    expect(mine.body.processes.map((p: { id: string }) => p.id)).toEqual([id]);
    expect(mine.body.processes[0].owner).toBe('alice');
    const theirs = await t.get('/processes', { headers: bearer(bob.key) });
    expect(theirs.body.processes).toEqual([]);
    for (const p of [`/processes/${id}`, `/processes/${id}/logs`, `/logs/${id}`])
      expect((await t.get(p, { headers: bearer(bob.key) })).status, p).toBe(404);
    const stop = await t.get(`/processes/${id}`, { method: 'DELETE', headers: bearer(bob.key) });
    expect(stop.status).toBe(404);
    expect(t.gw.processes.get(id)?.process.status).toBe('running');

    // The same configuration under another key is another process: keys never share a child.
    const bobs = await t.get('/package/fixture-echo-mcp/stdio?greeting=hi', { headers: bearer(bob.key) });
    expect(bobs.body.processId).not.toBe(id);
    expect(bobs.body.reused).toBe(false);

    const all = await t.get('/processes', { headers: bearer(ops.key) });
    expect(all.body.processes).toHaveLength(2);
    expect((await t.get(`/logs/${id}`, { headers: bearer(ops.key) })).status).toBe(200);
    const stopped = await t.get(`/processes/${id}`, { method: 'DELETE', headers: bearer(ops.key) });
    expect(stopped.status).toBe(200);
    expect(t.gw.processes.get(id)).toBeUndefined();
  });

  it('keeps metrics for admins', async () => {
    const user = await t.get('/metrics', { headers: bearer(alice.key) });
    expect(user.status).toBe(403);
    expect(user.body).toMatchObject({ code: 'FORBIDDEN', guidance: { requiredRole: 'admin' } });
    expect((await t.get('/metrics', { headers: bearer(ops.key) })).status).toBe(200);
  });

  it('answers 404 for a session used with another key, as if it did not exist', async () => {
    const url = `${base}/package/fixture-echo-mcp/mcp`;
    const init = await fetch(url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...bearer(alice.key) },
      body: INIT_2025,
    });
    expect(init.status).toBe(200);
    await init.text();
    const session = init.headers.get('mcp-session-id') as string;
    const call = (key: string) =>
      fetch(url, {
        method: 'POST',
        headers: {
          ...MCP_HEADERS,
          ...bearer(key),
          'mcp-session-id': session,
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
    const stolen = await call(bob.key);
    expect(stolen.status).toBe(404);
    expect(((await stolen.json()) as { code: string }).code).toBe('SESSION_NOT_FOUND');
    const deleted = await fetch(url, {
      method: 'DELETE',
      headers: { ...bearer(bob.key), 'mcp-session-id': session },
    });
    expect(deleted.status).toBe(404);
    const own = await call(alice.key);
    expect(own.status).toBe(200);
    expect(await own.text()).toContain('echo');
    const listed = await t.get('/sessions', { headers: bearer(bob.key) });
    expect(listed.body.sessions).toEqual([]);
    expect((await t.get('/sessions', { headers: bearer(alice.key) })).body.sessions).toHaveLength(1);
  });
  it('applies every check on the hot path too: no key, a wrong key and a rebound Host name are refused', async () => {
    const url = `${base}/package/fixture-echo-mcp/mcp?hot=1`;
    const headers = { ...MCP_HEADERS, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' };
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
      params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
    });
    const before = t.gw.processes.list().length;
    const none = await fetch(url, { method: 'POST', headers, body });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { code: string }).code).toBe('AUTH_REQUIRED');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await fetch(url, {
      method: 'POST',
      headers: { ...headers, ...bearer('mcp_not_a_key') },
      body,
    });
    expect(((await wrong.json()) as { code: string }).code).toBe('AUTH_INVALID');
    // A page's DNS-rebound name reaching the loopback port (undici will not send another Host: node:http does).
    const rebound = await rawPost(url, { ...headers, ...bearer(alice.key), host: 'attacker.example' }, body);
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).code).toBe('HOST_NOT_ALLOWED');
    expect(t.gw.processes.list()).toHaveLength(before);
    const own = await fetch(url, { method: 'POST', headers: { ...headers, ...bearer(alice.key) }, body });
    expect(own.status).toBe(200);
    expect(await own.text()).toContain('echo');
  });
});

describe('Host and Origin checks', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // A non-loopback name makes the gateway reachable from elsewhere: it needs keys.
    t = await startTestGateway({
      http: { allowedHosts: ['mcp.internal.example'] },
      auth: { apiKeys: [ops.entry] },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses foreign Host names on a loopback bind (DNS rebinding) and accepts loopback and listed ones', async () => {
    const rebound = await t.get('http://attacker.example/package/fixture-echo-mcp/stdio');
    expect(rebound.status).toBe(403);
    expect(rebound.body.code).toBe('HOST_NOT_ALLOWED');
    const sneaky = await t.get('/processes', { headers: { host: 'localhost.attacker.example:3000' } });
    expect(sneaky.status).toBe(403);
    const asOps = { headers: bearer(ops.key) };
    expect((await t.get('http://localhost:3000/processes', asOps)).status).toBe(200);
    expect((await t.get('http://127.0.0.1:9/processes', asOps)).status).toBe(200);
    expect((await t.get('http://[::1]:3000/processes', asOps)).status).toBe(200);
    expect((await t.get('http://mcp.internal.example/processes', asOps)).status).toBe(200);
    expect(t.gw.processes.list()).toHaveLength(0);
  });

  it('refuses a foreign Origin on every route, and lets CORS preflights of allowed origins through', async () => {
    const res = await t.get('/processes', { method: 'DELETE', headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('ORIGIN_NOT_ALLOWED');
    const preflight = await t.gw.app.request('/package/fixture-echo-mcp/mcp', {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });
});

describe('start-up exposure rule', () => {
  it('refuses a non-loopback bind without keys, and names the ways out', async () => {
    const config = loadConfig({}, { server: { host: '0.0.0.0' } });
    await expect(createGateway(config)).rejects.toThrow(
      /Refusing to listen on 0\.0\.0\.0 without API keys.*OPEN_REGISTRY/s,
    );
  });

  it('refuses a loopback bind that a proxy or a public name makes reachable, without keys', async () => {
    const cases = [
      [{ http: { trustProxy: true } }, /Refusing to trust a proxy in front \(TRUST_PROXY\) without API keys/],
      [
        { http: { allowedHosts: ['mcp.example.com'] } },
        /serve the host name mcp\.example\.com \(ALLOWED_HOSTS\)/,
      ],
      [
        { http: { publicUrl: 'https://mcp.example.com' } },
        /be reached at https:\/\/mcp\.example\.com \(PUBLIC_URL\)/,
      ],
    ] as const;
    for (const [overrides, message] of cases)
      await expect(createGateway(loadConfig({}, overrides as never))).rejects.toThrow(message);
    const withKeys = await startTestGateway({ http: { trustProxy: true }, auth: { apiKeys: [ops.entry] } });
    await withKeys.close();
    // OAuth alone protects it too: every caller then needs a token (nothing is fetched from the issuer
    // until a token arrives).
    const withOAuth = await startTestGateway({
      http: { trustProxy: true },
      oauth: { issuers: ['https://idp.example'] },
    });
    expect((await withOAuth.get('/processes')).status).toBe(401);
    await withOAuth.close();
  });

  it('refuses malformed key entries', async () => {
    const config = loadConfig({}, { auth: { apiKeys: ['alice:root:abc'] } });
    await expect(createGateway(config)).rejects.toThrow(/Invalid API key entry/);
  });

  it('starts an open registry with a loud warning, anonymous callers apart by address', async () => {
    const t = await startTestGateway({
      server: { host: '0.0.0.0' },
      auth: { openRegistry: true, apiKeys: [ops.entry] },
    });
    try {
      expect(t.logs.join('')).toMatch(/"level":40.*OPEN REGISTRY/);
      const anon = await t.get('/processes');
      expect(anon.status).toBe(200);
      expect((await t.get('/metrics')).status).toBe(403);
      expect((await t.get('/metrics', { headers: bearer(ops.key) })).status).toBe(200);
      expect((await t.get('/processes', { headers: bearer('mcp_wrong') })).status).toBe(401);
    } finally {
      await t.close();
    }
  });
});
