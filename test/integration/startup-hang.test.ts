/**
 * A server that hangs at start (like @stripe/mcp without network: it prints ENOTFOUND and never answers
 * initialize), at DEFAULT settings: the client must hear why before its own request timeout.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { freePort } from '../support/net.js';

describe('a server that hangs at start (like @stripe/mcp without network), at default settings', () => {
  let t: TestGateway;
  let base: string;
  beforeAll(async () => {
    t = await startTestGateway();
    base = await t.serve();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is reported to an SDK client, with what it printed, before the client gives up', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const url = new URL(`${base}/package/fixture-api-mcp/mcp?fixtureApiKey=good-k&fixtureApiUrl=${closed}`);
    const client = new Client({ name: 'hang-test', version: '1.0.0' });
    const started = Date.now();
    // The SDK's own request timeout is 60 s; the gateway must answer first, with the reason.
    const err = await client.connect(new StreamableHTTPClientTransport(url)).then(
      () => new Error('connected to a server that never answers initialize'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(/SERVER_START_FAILED/);
    expect(err.message).toMatch(/did not answer the MCP initialize request within 30000 ms/);
    expect(err.message).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(t.gw.processes.list()).toHaveLength(0);
  }, 70_000);
});
