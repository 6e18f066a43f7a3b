/**
 * Known secrets go in through every door (query, configuration headers, args, a crashing server that
 * prints its key, refused parameters, the API key itself); afterwards every log line, log file, listing,
 * error body and metric is searched for them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { INIT_2025 } from '../support/mcp-raw.js';

const stamp = Date.now().toString(36);
const SECRETS = {
  query: `q-secret-${stamp}`,
  header: `h-secret-${stamp}`,
  args: `a-secret-${stamp}`,
  crash: `c-secret-${stamp}`,
  refused: `r-secret-${stamp}`,
  // Secret by its look alone (long, mixed, high entropy) in a parameter whose name says nothing.
  lookalike: `Zq7xK9pW2mR4${stamp}`,
};
const admin = generateApiKey('ops', 'admin');
const user = generateApiKey('alice', 'user');

describe('secrets never leak', () => {
  let t: TestGateway;
  let base: string;
  const seen: string[] = [];
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const record = async (p: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${p}`, init);
    const text = await res.text();
    seen.push(`${res.status} ${JSON.stringify([...res.headers])} ${text}`); // the answer only, not our own URL
    return { status: res.status, text, headers: res.headers };
  };

  beforeAll(async () => {
    t = await startTestGateway({ auth: { apiKeys: [admin.entry, user.entry] } });
    base = await t.serve();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('keeps every secret out of logs, listings, errors and metrics', async () => {
    const launched = await record(
      `/package/fixture-echo-mcp/stdio?apiKey=${SECRETS.query}&args=${encodeURIComponent(`--api-key=${SECRETS.args}`)}&workspace=${SECRETS.lookalike}&environment=sandbox`,
      { headers: as(user.key) },
    );
    expect(launched.status).toBe(200);
    // Plain settings stay readable; what is secret by name or by look is masked.
    expect(JSON.parse(launched.text).connectionInfo.env).toEqual({
      API_KEY: '***',
      WORKSPACE: '***',
      ENVIRONMENT: 'sandbox',
    });
    const session = await record('/package/fixture-echo-mcp/mcp', {
      method: 'POST',
      headers: {
        ...as(user.key),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'x-mcp-env-token': SECRETS.header,
      },
      body: INIT_2025,
    });
    expect(session.status).toBe(200);
    const crashed = await record(`/package/fixture-crash-mcp/stdio?apiKey=${SECRETS.crash}`, {
      headers: as(user.key),
    });
    expect(crashed.status).toBe(502);
    expect(crashed.text).toContain('API_KEY=***'); // the server printed it; the answer masks it
    const refused = await record(`/package/fixture-echo-mcp/stdio?NODE_OPTIONS=${SECRETS.refused}`, {
      headers: as(user.key),
    });
    expect(refused.status).toBe(400);
    await record('/package/fixture-echo-mcp/stdio', { headers: { authorization: `Bearer ${admin.key}x` } });

    const processes = JSON.parse((await record('/processes', { headers: as(admin.key) })).text).processes;
    expect(processes.length).toBeGreaterThan(0);
    for (const p of processes) {
      await record(`/processes/${p.id}`, { headers: as(admin.key) });
      await record(`/logs/${p.id}`, { headers: as(admin.key) });
    }
    await record('/sessions', { headers: as(admin.key) });
    await record('/metrics', { headers: as(admin.key) });
    await record('/health');

    // t.logs holds every line the logger wrote (at debug level); log files get the same masked lines.
    const everything = [...seen, ...t.logs].join('\n');
    expect(everything).toContain('fixture-echo-mcp'); // the search covers real content
    for (const [door, secret] of Object.entries(SECRETS)) expect(everything, door).not.toContain(secret);
    expect(everything).not.toContain(admin.key);
    expect(everything).not.toContain(user.key);
  });
});
