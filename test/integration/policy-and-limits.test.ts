/** Package policy denials and abuse limits (requests, installs, sessions) through the real app. */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { POSTINSTALL_MARKER } from '../fixtures/npm/packages.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { INIT_2025, MCP_HEADERS } from '../support/mcp-raw.js';
import { eventually } from '../support/pids.js';

/** Installed packages: the entries under the store's npm/ and pypi/ folders. */
async function storeEntries(t: TestGateway): Promise<string[]> {
  const out: string[] = [];
  for (const registry of ['npm', 'pypi']) {
    const entries = await readdir(`${t.gw.config.store.dir}/${registry}`).catch(() => []);
    out.push(...entries.filter((e) => !e.startsWith('.')).map((e) => `${registry}/${e}`));
  }
  return out;
}

describe('package policy', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ policy: { deny: ['fixture-crash-*', 'fixture-echo-mcp@>=2'] } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('denies a name pattern with 403 naming the rule, before resolving or installing anything', async () => {
    for (const protocol of ['stdio', 'mcp', 'sse']) {
      const res = await t.get(`/package/fixture-crash-mcp/${protocol}`, {
        method: protocol === 'mcp' ? 'POST' : 'GET',
        headers: MCP_HEADERS,
        body: protocol === 'mcp' ? INIT_2025 : undefined,
      });
      expect(res.status, protocol).toBe(403);
      expect(res.body).toMatchObject({
        code: 'POLICY_DENIED',
        guidance: { rule: 'deny', pattern: 'fixture-crash-*' },
      });
    }
    expect(t.gw.processes.list()).toHaveLength(0);
    expect(await storeEntries(t)).toEqual([]);
  });

  it('denies the versions a versioned pattern names and runs the others', async () => {
    const latest = await t.get('/package/fixture-echo-mcp@latest/stdio');
    expect(latest.status).toBe(403);
    expect(latest.body.message).toContain('fixture-echo-mcp@2.0.0');
    expect(latest.body.guidance).toMatchObject({ rule: 'deny', pattern: 'fixture-echo-mcp@>=2' });
    const old = await t.get('/package/fixture-echo-mcp@1.3.0/stdio');
    expect(old.status).toBe(200);
    expect(old.body.version).toBe('1.3.0');
  });
});

describe('allow list and exact pins', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      policy: { allow: ['@fixtures/*'], requireExactVersion: true, maxPackageAgeDays: 30 },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('runs only allow-listed, exactly pinned, recently released packages', async () => {
    const outside = await t.get('/package/fixture-echo-mcp@1.0.0/stdio');
    expect(outside.status).toBe(403);
    expect(outside.body.guidance.rule).toBe('allow');
    const loose = await t.get('/package/@fixtures/scoped-mcp@latest/stdio');
    expect(loose.status).toBe(403);
    expect(loose.body.guidance.rule).toBe('requireExactVersion');
    expect(loose.body.guidance.suggestion).toMatch(/Pin a version/);
    const pinned = await t.get('/package/@fixtures/scoped-mcp@1.0.0/stdio');
    expect(pinned.status).toBe(200);
  });
});

describe('abuse limits', () => {
  let t: TestGateway;
  let base: string;
  beforeAll(async () => {
    t = await startTestGateway({
      rateLimit: { perKeyPerMinute: 12, installsPerHour: 1, maxSessionsPerKey: 1 },
      process: { warmPoolSize: 0 },
    });
    base = await t.serve();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('charges and records one install for the requests that come while it runs', async () => {
    const all = await Promise.all(
      [1, 2, 3].map((n) => t.get(`/package/fixture-echo-mcp@1.0.0/stdio?n=${n}`)),
    );
    expect(all.map((r) => r.status)).toEqual([200, 200, 200]);
    const installs = (await t.get('/audit?type=install')).body.events;
    expect(installs).toHaveLength(1);
  });

  it('limits installs separately: a second new package waits, reuse of an installed one does not', async () => {
    expect((await t.get('/package/fixture-echo-mcp@1.0.0/stdio')).status).toBe(200);
    expect((await t.get('/package/fixture-echo-mcp@1.0.0/stdio')).status).toBe(200);
    const second = await t.get('/package/@fixtures/scoped-mcp/stdio');
    expect(second.status).toBe(429);
    expect(second.body).toMatchObject({
      code: 'RATE_LIMITED',
      guidance: { limit: '1 installs per hour per key' },
    });
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(60);
    expect(await storeEntries(t)).toHaveLength(1);
  });

  it("at the session limit ends the key's least recently active idle session; 429 only when all are busy", async () => {
    const url = `${base}/package/fixture-echo-mcp@1.0.0/mcp`;
    const post = (body: string, sessionId?: string) =>
      fetch(url, {
        method: 'POST',
        headers: { ...MCP_HEADERS, ...(sessionId ? { 'mcp-session-id': sessionId } : {}) },
        body,
      });
    const open = async () => {
      const res = await post(INIT_2025);
      expect(res.status).toBe(200);
      await res.text();
      return res.headers.get('mcp-session-id') as string;
    };
    const first = await open();
    const second = await open();
    expect(t.gw.sessions.size).toBe(1);
    const gone = await post(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), first);
    expect(gone.status).toBe(404);
    // The one session left has a call in flight: nothing may give way.
    const hang = post(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'hang', arguments: {} },
      }),
      second,
    ).catch(() => undefined);
    const inFlight = () => t.gw.processes.list().some((p) => p.process.inFlight > 0);
    expect(await eventually(inFlight, 30_000)).toBe(true);
    const refused = await post(INIT_2025);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { code: string }).code).toBe('SESSION_LIMIT_REACHED');
    await fetch(url, { method: 'DELETE', headers: { ...MCP_HEADERS, 'mcp-session-id': second } });
    await hang;
    expect(t.gw.sessions.size).toBe(0);
  });

  it('answers 429 with Retry-After once a key spends its request budget', async () => {
    let res = await t.get('/processes');
    let n = 1;
    while (res.status === 200 && n < 50) {
      res = await t.get('/processes');
      n++;
    }
    expect(res.status).toBe(429);
    expect(n).toBeLessThanOrEqual(12);
    expect(res.body.code).toBe('RATE_LIMITED');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await t.get('/health')).status).toBe(200);
  });
});

describe('rate limits meter what costs the host, not work inside a session', () => {
  it('lets a session send far more messages than the request budget, which still bounds launches', async () => {
    // The request budget is the setting under test; messages have their own (default) budget.
    const t = await startTestGateway({ rateLimit: { perKeyPerMinute: 5 } });
    const base = await t.serve();
    try {
      const init = await fetch(`${base}/package/fixture-echo-mcp/mcp`, {
        method: 'POST',
        headers: MCP_HEADERS,
        body: INIT_2025,
      });
      const session = init.headers.get('mcp-session-id') as string;
      await init.text();
      const headers = { ...MCP_HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
      for (let i = 0; i < 60; i++) {
        const res = await fetch(`${base}/package/fixture-echo-mcp/mcp`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ jsonrpc: '2.0', id: i + 1, method: 'tools/list' }),
        });
        expect(res.status, `message ${i}`).toBe(200);
        await res.text();
      }
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await fetch(`${base}/package/fixture-echo-mcp/stdio?n=${i}`)).status);
      expect(statuses).toContain(429);
    } finally {
      await t.close();
    }
  });
});

describe('install scripts', () => {
  const install = async (overrides: Parameters<typeof startTestGateway>[0]) => {
    const t = await startTestGateway(overrides);
    try {
      return (await t.get('/package/fixture-postinstall-mcp/stdio')).status;
    } finally {
      await t.close();
    }
  };

  it('never run, unless the operator allowlists the package', async () => {
    await rm(POSTINSTALL_MARKER, { force: true });
    expect(await install({})).toBe(200);
    expect(existsSync(POSTINSTALL_MARKER)).toBe(false);
    expect(await install({ store: { installScriptsAllowlist: ['fixture-postinstall-mcp'] } })).toBe(200);
    expect(existsSync(POSTINSTALL_MARKER)).toBe(true); // the control: the script does run when allowed
    await rm(POSTINSTALL_MARKER, { force: true });
  });
});

describe('the message budget on the hot path', () => {
  const alice = generateApiKey('alice', 'user');
  const bob = generateApiKey('bob', 'user');
  let t: TestGateway;
  let base: string;
  beforeAll(async () => {
    t = await startTestGateway({
      auth: { apiKeys: [alice.entry, bob.entry] },
      rateLimit: { messagesPerKeyPerMinute: 5 },
    });
    base = await t.serve();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('charges each stateless message to its key: a key past its budget gets 429, another key is served', async () => {
    const call = (key: string) =>
      fetch(`${base}/package/fixture-echo-mcp/mcp`, {
        method: 'POST',
        headers: {
          ...MCP_HEADERS,
          authorization: `Bearer ${key}`,
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/list',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/list',
          params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
        }),
      });
    for (let i = 0; i < 5; i++) expect((await call(alice.key)).status).toBe(200);
    const over = await call(alice.key);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await over.json()).toMatchObject({
      code: 'RATE_LIMITED',
      guidance: { limit: '5 messages per minute per key' },
    });
    expect((await call(bob.key)).status).toBe(200);
  });
});
