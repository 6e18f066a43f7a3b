/**
 * Property tests over what a request can carry besides its path: headers (keys, configuration, session,
 * protocol, Host/Origin) and JSON-RPC bodies. No 500, no crash, no hang, and no child started for a
 * request that is invalid.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';

const user = generateApiKey('fuzz', 'user');
const printable = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
const headerName = fc.constantFrom(
  'authorization',
  'x-api-key',
  'origin',
  'host',
  'mcp-session-id',
  'mcp-protocol-version',
  'content-type',
  'accept',
  'x-mcp-mode',
  'x-mcp-args',
  'x-mcp-env-api_key',
  'x-mcp-env-node_options',
  'x-mcp-env-',
  'x-mcp-env-ld_preload',
  'last-event-id',
  'x-forwarded-for',
);
const headerValue = fc.oneof(
  printable,
  fc.constantFrom(
    `Bearer ${user.key}`,
    'Bearer ',
    'Basic Zm9vOmJhcg==',
    'http://localhost:3000',
    'https://evil.example',
    'localhost:3000',
    'evil.example',
    '2025-06-18',
    '2026-07-28',
    '1999-01-01',
    'application/json',
    'text/event-stream',
    'shared',
    'isolated',
    '--inspect=0.0.0.0:9229',
    '-e require("child_process")',
  ),
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 6 });
/** JSON-RPC-shaped messages whose method is never initialize (so no valid request starts a child). */
const rpc = fc.record(
  {
    jsonrpc: fc.constantFrom('2.0', '1.0', 2),
    id: fc.oneof(fc.integer(), printable, fc.constant(null)),
    method: fc.oneof(
      fc.constantFrom('tools/list', 'tools/call', 'ping', 'server/discover', 'notifications/initialized', ''),
      printable,
    ),
    params: fc.oneof(fc.object({ maxDepth: 2 }), fc.constant(undefined), fc.array(fc.integer())),
    result: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  rpc.map((m) => JSON.stringify(m)),
  fc.array(rpc, { maxLength: 4 }).map((a) => JSON.stringify(a)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 60 }),
  fc.constantFrom('', '{', '[]', 'null', '{"jsonrpc":"2.0"', '\u0000', '{"__proto__":{"x":1}}'),
);
const target = fc.constantFrom(
  '/package/fixture-echo-mcp/mcp',
  '/package/fixture-echo-mcp/sse',
  '/package/fixture-echo-mcp/sse?sessionId=nope',
  '/package/fixture-echo-mcp/stdio?NODE_OPTIONS=x',
  '/package/..%2F..%2Fetc/mcp',
  '/package/https%3A%2F%2Fevil.example%2Fmcp/mcp',
  '/processes',
  '/sessions',
  '/metrics',
);

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)),
  ]);
}

describe('header and body fuzzing', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      auth: { apiKeys: [user.entry] },
      rateLimit: { perKeyPerMinute: 0, perAddressPerMinute: 0 },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('never answers 500, always JSON errors, never hangs, and starts no child', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        target,
        headers,
        fc.boolean(),
        body,
        fc.constantFrom('POST', 'GET', 'DELETE'),
        async (p, h, authorized, b, method) => {
          // Most runs carry a valid key, so the fuzz reaches past authentication.
          if (authorized) h.authorization = `Bearer ${user.key}`;
          // A GET on /sse with a valid key is a valid request that opens a session; keep to invalid ones.
          if (p.includes('/sse') && method === 'GET') method = 'POST';
          let req: Request;
          try {
            req = new Request(`http://localhost${p}`, {
              method,
              headers: h,
              body: method === 'POST' ? b : undefined,
            });
          } catch {
            return; // not a valid HTTP request at all (fetch refuses it before it could reach a server)
          }
          const res = await withTimeout(Promise.resolve(t.gw.app.fetch(req)), 10_000);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) {
            const json = (await withTimeout(res.json(), 5000)) as {
              guidance?: unknown;
              error?: { data?: { guidance?: unknown } };
            };
            // Gateway errors carry guidance at the top; JSON-RPC errors (the MCP endpoint's) in error.data.
            expect(json.guidance ?? json.error?.data?.guidance, JSON.stringify(json)).toBeTruthy();
          } else await res.body?.cancel();
        },
      ),
      { numRuns: 400 },
    );
    expect(t.gw.processes.list()).toHaveLength(0);
    expect(t.gw.sessions.size).toBe(0);
    expect(statuses.size).toBeGreaterThan(3);
    expect([...statuses.keys()].some((s) => s !== 401)).toBe(true);
  });
});
