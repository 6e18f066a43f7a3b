/** The legacy HTTP+SSE transport (2024-11-05) through the gateway with the official SDK client. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { type TestGateway, useServedGateway } from '../support/gateway-harness.js';
import { hostInfo, waitDead } from '../support/pids.js';

const text = (r: unknown) => (r as { content: Array<{ text: string }> }).content[0]?.text ?? '';

describe('legacy HTTP+SSE sessions', () => {
  let t: TestGateway;
  let base: string;
  useServedGateway((gw, url) => {
    t = gw;
    base = url;
  });

  it('serves a full session: tools, configuration, progress and sampling; closing it stops the child', async () => {
    const client = new Client({ name: 'sse-test', version: '1.0.0' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: 'assistant',
      content: { type: 'text', text: 'sse sample' },
      model: 'm',
    }));
    await client.connect(
      new SSEClientTransport(
        new URL(`${base}/package/fixture-echo-mcp/sse?apiKey=sse-secret-9&mode=isolated`),
      ),
    );
    const info = hostInfo(text(await client.callTool({ name: 'get_info', arguments: {} })));
    expect((await client.listTools()).tools.map((x) => x.name)).toContain('echo');
    expect(text(await client.callTool({ name: 'get_env', arguments: { name: 'API_KEY' } }))).toBe(
      'sse-secret-9',
    );
    const seen: number[] = [];
    await client.callTool({ name: 'progress', arguments: {} }, undefined, {
      onprogress: (p) => seen.push(p.progress),
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(text(await client.callTool({ name: 'sample', arguments: {} }))).toBe('client said: sse sample');
    await client.close();
    expect(await waitDead([info.pid], 5000)).toBe(true);
    expect(t.logs.join('')).not.toContain('sse-secret-9');
  });

  it('answers 404 for messages to an unknown session and 400 for a non-JSON-RPC body', async () => {
    const unknown = await fetch(`${base}/package/fixture-echo-mcp/sse?sessionId=nope`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    expect(unknown.status).toBe(404);
    const client = new Client({ name: 'sse-test', version: '1.0.0' });
    const transport = new SSEClientTransport(new URL(`${base}/package/fixture-echo-mcp/sse`));
    await client.connect(transport);
    const listed = await t.get('/sessions');
    expect(listed.body.sessions.map((x: { transport: string }) => x.transport)).toContain('sse');
    const session = t.gw.sessions.list().find((x) => x.transport === 'sse')?.id;
    const bad = await fetch(`${base}/package/fixture-echo-mcp/sse?sessionId=${session}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"hello":1}',
    });
    expect(bad.status).toBe(400);
    await client.close();
  });
});
