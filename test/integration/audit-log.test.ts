/**
 * The audit log: each security-relevant event as one JSON line in audit.log (private), read back with
 * GET /audit (admins) by principal, package, type and time; tool calls name the tool, never arguments.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/observability/audit-log.js';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/pids.js';

const user = generateApiKey('auditee', 'user');
const ops = generateApiKey('ops', 'admin');
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const ARGUMENT_SECRET = 'argument-value-never-logged-42';

describe('the audit log', () => {
  let t: TestGateway;
  let base: string;
  let started: number;
  const audit = async (query = '') => {
    const res = await t.get(`/audit${query}`, { headers: as(ops.key) });
    expect(res.status).toBe(200);
    return res.body.events as AuditEvent[];
  };

  beforeAll(async () => {
    t = await startTestGateway({ auth: { apiKeys: [user.entry, ops.entry] } });
    base = await t.serve();
    started = Date.now();
    // Everything a user and an attacker do, once.
    const launched = await t.get('/package/fixture-echo-mcp@1.0.0/stdio', { headers: as(user.key) });
    expect(launched.status).toBe(200);
    const client = new Client({ name: 'audited', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/package/fixture-echo-mcp@1.0.0/mcp`), {
        requestInit: { headers: as(user.key) },
      }),
    );
    await client.callTool({ name: 'echo', arguments: { text: ARGUMENT_SECRET } });
    await client.close();
    expect((await t.get('/processes', { headers: as(`${user.key}x`) })).status).toBe(401);
    expect(
      (
        await t.get('/package/fixture-echo-mcp/stdio', {
          headers: { ...as(user.key), 'sec-fetch-site': 'cross-site' },
        })
      ).status,
    ).toBe(403);
    expect(
      (await t.get('/package/fixture-echo-mcp/stdio?ldPreload=x', { headers: as(user.key) })).status,
    ).toBe(400);
    expect(
      (await t.get(`/processes/${launched.body.processId}`, { method: 'DELETE', headers: as(ops.key) }))
        .status,
    ).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('records launches, installs, sessions, tool calls, stops and refusals', async () => {
    expect(await eventually(async () => (await audit('?type=session.close')).length > 0, 30_000)).toBe(true);
    const events = await audit();
    const types = new Set(events.map((e) => e.type));
    for (const type of [
      'install',
      'launch',
      'session.open',
      'session.close',
      'tool.call',
      'stop',
      'auth.refused',
      'browser.refused',
      'policy.refused',
    ])
      expect(types, type).toContain(type);
    const call = events.find((e) => e.type === 'tool.call');
    expect(call).toMatchObject({
      principal: 'auditee',
      package: 'fixture-echo-mcp',
      version: '1.0.0',
      tool: 'echo',
      outcome: 'ok',
      ms: expect.any(Number),
    });
    expect(events.find((e) => e.type === 'install')).toMatchObject({ principal: 'auditee', outcome: 'ok' });
    const refused = events.find((e) => e.type === 'browser.refused');
    expect(refused).toMatchObject({ address: expect.any(String), outcome: 'ORIGIN_NOT_ALLOWED' });
    expect(refused?.principal).toBeUndefined(); // refused before anyone was identified
    expect(events.find((e) => e.type === 'stop')?.detail).toMatch(/DELETE/);
  });

  it('never holds an argument value, and is private on disk', async () => {
    const file = path.join(t.dir, 'logs', 'audit.log');
    expect(
      await eventually(
        async () => (await readFile(file, 'utf8').catch(() => '')).includes('tool.call'),
        10_000,
      ),
    ).toBe(true);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(ARGUMENT_SECRET);
    expect(JSON.stringify(await audit())).not.toContain(ARGUMENT_SECRET);
    for (const line of text.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('filters by principal, package, type and since; admins only', async () => {
    expect((await audit('?principal=auditee')).every((e) => e.principal === 'auditee')).toBe(true);
    expect((await audit('?package=fixture-echo-mcp@1.0.0')).length).toBeGreaterThan(0);
    expect(await audit('?package=fixture-echo-mcp@9.9.9')).toEqual([]);
    expect((await audit('?type=tool.call')).map((e) => e.type)).toEqual(['tool.call']);
    expect(await audit(`?since=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
    expect((await audit(`?since=${started - 1000}&limit=2`)).length).toBe(2);
    expect((await t.get('/audit', { headers: as(user.key) })).status).toBe(403);
    expect((await t.get('/audit?since=yesterday', { headers: as(ops.key) })).status).toBe(400);
  });
});
