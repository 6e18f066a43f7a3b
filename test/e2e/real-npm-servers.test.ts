/**
 * Real servers from the real npm registry, at default settings (sandbox and memory cap on), the way a user
 * meets them: firecrawl-mcp calls fetch() (undici's WebAssembly parser), which an address-space limit used
 * to kill at start; @twilio-alpha/mcp with a bad account id must fail with its own words in the answer.
 * Their APIs cannot be reached from here; dummy keys are enough to list tools.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';

/** Pinned, so that a new release cannot change what this test sees. */
const FIRECRAWL = 'firecrawl-mcp@3.26.0';
const TWILIO = '@twilio-alpha/mcp@0.7.0';

describe('real npm servers at default settings', () => {
  let t: TestGateway;
  let base: string;
  beforeAll(async () => {
    // Only the registry differs from the defaults: this suite is about packages from the real one.
    t = await startTestGateway({ registry: { npmUrl: 'https://registry.npmjs.org' } });
    base = await t.serve();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('firecrawl-mcp (fetch, WebAssembly) lists its tools over Streamable HTTP', {
    timeout: 180_000,
  }, async () => {
    const client = new Client({ name: 'real-npm-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(
        new URL(`${base}/package/${FIRECRAWL}/mcp?firecrawlApiKey=fc-dummy0123456789`),
      ),
    );
    const { tools } = await client.listTools();
    expect(tools.map((x) => x.name)).toContain('firecrawl_scrape');
    // The call makes the server fetch() its API (unreachable from here): an error result, not a crash.
    const scraped = (await client.callTool({
      name: 'firecrawl_scrape',
      arguments: { url: 'https://example.com' },
    })) as {
      isError?: boolean;
      content: Array<{ text?: string }>;
    };
    expect(scraped.isError).toBe(true);
    expect(scraped.content[0]?.text).toMatch(/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|fetch failed/);
    await client.close();
    const failed = t.gw.processes.list().filter((p) => p.process.status === 'failed');
    expect(failed).toEqual([]);
  });

  it('@twilio-alpha/mcp with a bad account id fails with its own message in the answer', {
    timeout: 180_000,
  }, async () => {
    const args = encodeURIComponent('ACbad/SKdummy:dummy-secret-value');
    const res = await t.get(`/package/${TWILIO}/stdio?args=${args}`);
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('SERVER_START_FAILED');
    expect(res.body.guidance.stdoutTail.join('\n')).toContain('Invalid AccountSid');
  });
});
