/**
 * The toolsets API with keys on: an admin defines the toolset (server-everything under `ev`,
 * tools `echo` and `get-sum`, a parameter); every caller reads it with the parameter masked; a user
 * cannot define or remove one; bad definitions are 400 naming the field; changes are audited; the
 * store's file never holds the parameter; a parameter sent back as `***` keeps its stored value.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { ToolsetStore } from '../../src/store/toolset-store.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';

const alice = generateApiKey('alice', 'user');
const ops = generateApiKey('ops', 'admin');
const as = (key: string, body?: unknown) => ({
  headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
});
const DAILY = {
  servers: [
    {
      alias: 'ev',
      package: '@modelcontextprotocol/server-everything',
      params: { apiKey: 'toolset-secret-9' },
      tools: ['echo', 'get-sum'],
    },
  ],
};

describe('toolsets API', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ auth: { apiKeys: [alice.entry, ops.entry] } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lets an admin define, read, replace and remove a toolset; users read it, masked', async () => {
    const created = await t.get('/toolsets/daily', { method: 'PUT', ...as(ops.key, DAILY) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'daily',
      servers: [
        { alias: 'ev', package: '@modelcontextprotocol/server-everything', params: { apiKey: '***' } },
      ],
      updatedBy: 'ops',
    });
    const read = await t.get('/toolsets/daily', as(alice.key));
    expect(read.body.servers[0].tools).toEqual(['echo', 'get-sum']);
    expect(
      (await t.get('/toolsets', as(alice.key))).body.toolsets.map((x: { name: string }) => x.name),
    ).toEqual(['daily']);
    const file = await readFile(path.join(t.dir, 'store', 'toolsets', 'daily.json'), 'utf8');
    for (const text of [file, JSON.stringify(read.body), t.logs.join('')])
      expect(text).not.toContain('toolset-secret-9');

    expect((await t.get('/toolsets/daily', { method: 'PUT', ...as(ops.key, DAILY) })).status).toBe(200);
    const forbidden = await t.get('/toolsets/mine', { method: 'PUT', ...as(alice.key, DAILY) });
    expect(forbidden).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect((await t.get('/toolsets/daily', { method: 'DELETE', ...as(alice.key) })).status).toBe(403);

    const audit = await t.get('/audit?type=toolset.change', as(ops.key));
    expect(audit.body.events.map((e: { outcome: string }) => e.outcome).sort()).toEqual([
      'created',
      'replaced',
    ]);
    expect(JSON.stringify(audit.body)).not.toContain('toolset-secret-9');

    expect((await t.get('/toolsets/daily', { method: 'DELETE', ...as(ops.key) })).body.status).toBe(
      'deleted',
    );
    expect((await t.get('/toolsets/daily', as(alice.key))).body.code).toBe('TOOLSET_NOT_FOUND');
  });

  it('answers 400 naming the field for definitions it cannot serve, and stores nothing', async () => {
    const bad: Array<[string, unknown, string]> = [
      ['x', { servers: [{ alias: 'ev', package: 'git+https://example.com/x.git' }] }, 'servers.0.package'],
      ['x', { servers: [{ alias: 'e__v', package: 'fixture-echo-mcp' }] }, 'servers.0.alias'],
      ['Not_A_Name', DAILY, 'name'],
      ['x', { servers: 'none' }, 'servers'],
    ];
    for (const [name, body, field] of bad) {
      const res = await t.get(`/toolsets/${name}`, { method: 'PUT', ...as(ops.key, body) });
      expect(res.status, field).toBe(400);
      expect(res.body).toMatchObject({ code: 'INVALID_TOOLSET', guidance: { field } });
    }
    const garbage = await t.get('/toolsets/x', { method: 'PUT', ...as(ops.key), body: '{not json' });
    expect(garbage.status).toBe(400);
    expect((await t.get('/toolsets', as(ops.key))).body.toolsets).toEqual([]);
  });

  it('keeps a stored value for a parameter sent back as ***, and refuses *** with nothing stored', async () => {
    expect((await t.get('/toolsets/keep', { method: 'PUT', ...as(ops.key, DAILY) })).status).toBe(201);
    const edited = {
      servers: [{ ...DAILY.servers[0], params: { apiKey: '***', region: 'eu' }, tools: ['echo'] }],
    };
    expect((await t.get('/toolsets/keep', { method: 'PUT', ...as(ops.key, edited) })).status).toBe(200);
    const store = new ToolsetStore(
      path.join(t.dir, 'store'),
      SecretBox.forConfig({ dir: path.join(t.dir, 'store') }),
    );
    expect(store.get('keep')?.servers[0]?.params).toEqual({
      apiKey: 'toolset-secret-9',
      region: 'eu',
    });
    const nothing = { servers: [{ alias: 'other', package: 'fixture-echo-mcp', params: { apiKey: '***' } }] };
    const refused = await t.get('/toolsets/keep', { method: 'PUT', ...as(ops.key, nothing) });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      code: 'INVALID_TOOLSET',
      guidance: { field: 'servers.0.params.apiKey' },
    });
    expect((await t.get('/toolsets/keep', { method: 'DELETE', ...as(ops.key) })).status).toBe(200);
  });
});
