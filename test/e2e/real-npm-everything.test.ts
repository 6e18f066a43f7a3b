/**
 * End to end against the real npm registry: @modelcontextprotocol/server-everything installed and launched
 * through the gateway, then spoken to over MCP: by the gateway's own stdio link, and by the official
 * TypeScript SDK client started from the connectionInfo the gateway answered.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';

const EVERYTHING = '@modelcontextprotocol/server-everything';

describe('real npm: server-everything', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      registry: { npmUrl: 'https://registry.npmjs.org', timeoutMs: 30_000 },
      process: { startupTimeoutMs: 30_000 },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('installs, launches and answers MCP', { timeout: 240_000 }, async () => {
    const { status, body } = await t.get(`/package/${EVERYTHING}/stdio`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      packageName: EVERYTHING,
      packageType: 'npm',
      status: 'running',
      quality: { checked: true, monthlyDownloads: 250_000 },
    });
    expect(body.server.serverInfo.name).toMatch(/everything/);

    const managed = t.gw.processes.get(body.processId)?.process;
    const listed = (await managed?.request('tools/list', {}, 15_000)) as { tools: Array<{ name: string }> };
    expect(listed.tools.map((x) => x.name)).toContain('echo');
    const echoed = (await managed?.request(
      'tools/call',
      { name: 'echo', arguments: { message: 'via gateway' } },
      15_000,
    )) as { content: Array<{ text: string }> };
    expect(echoed.content[0]?.text).toContain('via gateway');

    const client = new Client({ name: 'e2e-test', version: '1.0.0' });
    const transport = new StdioClientTransport({
      command: body.connectionInfo.command,
      args: body.connectionInfo.args,
      stderr: 'ignore',
    });
    await client.connect(transport);
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((x) => x.name)).toContain('echo');
      const r = await client.callTool({ name: 'echo', arguments: { message: 'via sdk' } });
      expect(JSON.stringify(r.content)).toContain('via sdk');
    } finally {
      await client.close();
    }

    const again = await t.get(`/package/${EVERYTHING}@latest/stdio`);
    expect(again.body).toMatchObject({ processId: body.processId, reused: true });
  });
});

describe('real npm: server-everything over Streamable HTTP, keys on', () => {
  let t: TestGateway;
  let base: string;
  const alice = generateApiKey('alice', 'user');
  const ops = generateApiKey('ops', 'admin');
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  beforeAll(async () => {
    t = await startTestGateway({
      registry: { npmUrl: 'https://registry.npmjs.org', timeoutMs: 30_000 },
      process: { startupTimeoutMs: 30_000 },
      auth: { apiKeys: [alice.entry, ops.entry] },
    });
    base = await t.serve();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves tools, progress, prompts, resources and sampling to the SDK client', {
    timeout: 240_000,
  }, async () => {
    const client = new Client({ name: 'e2e-http', version: '1.0.0' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: 'assistant',
      content: { type: 'text', text: 'sampled by the test' },
      model: 'test',
    }));
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/package/${EVERYTHING}/mcp`), {
        requestInit: { headers: bearer(alice.key) },
      }),
    );
    try {
      const tools = (await client.listTools()).tools.map((x) => x.name);
      // trigger-sampling-request exists only for clients that declare sampling: it proves the server heard
      // the client's own initialize, not only the gateway's.
      expect(tools).toEqual(
        expect.arrayContaining([
          'echo',
          'get-sum',
          'trigger-long-running-operation',
          'trigger-sampling-request',
        ]),
      );
      const sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
      expect(JSON.stringify(sum.content)).toContain('5');
      const progress: number[] = [];
      await client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
        undefined,
        { onprogress: (p) => progress.push(p.progress) },
      );
      expect(progress.length).toBe(3);
      const prompt = await client.getPrompt({ name: 'simple-prompt' });
      expect(prompt.messages.length).toBeGreaterThan(0);
      const resources = await client.listResources();
      const read = await client.readResource({ uri: resources.resources[0]?.uri as string });
      expect(read.contents.length).toBeGreaterThan(0);
      const sampled = await client.callTool({
        name: 'trigger-sampling-request',
        arguments: { prompt: 'hi', maxTokens: 5 },
      });
      expect(JSON.stringify(sampled.content)).toContain('sampled by the test');
    } finally {
      await client.close();
    }
  });

  it("serves the issue's toolset: ev = server-everything with echo and get-sum, as ev__echo and ev__get-sum", {
    timeout: 240_000,
  }, async () => {
    const defined = await fetch(`${base}/toolsets/daily`, {
      method: 'PUT',
      headers: { ...bearer(ops.key), 'content-type': 'application/json' },
      body: JSON.stringify({
        servers: [{ alias: 'ev', package: EVERYTHING, params: {}, tools: ['echo', 'get-sum'] }],
      }),
    });
    expect(defined.status).toBe(201);
    const client = new Client({ name: 'e2e-toolset', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/toolsets/daily/mcp`), {
        requestInit: { headers: bearer(alice.key) },
      }),
    );
    try {
      const tools = (await client.listTools()).tools.map((x) => x.name).sort();
      expect(tools).toEqual(['ev__echo', 'ev__get-sum']);
      const echoed = await client.callTool({ name: 'ev__echo', arguments: { message: 'through a toolset' } });
      expect(JSON.stringify(echoed.content)).toContain('through a toolset');
      const sum = await client.callTool({ name: 'ev__get-sum', arguments: { a: 20, b: 22 } });
      expect(JSON.stringify(sum.content)).toContain('42');
    } finally {
      await client.close();
    }
  });
});
