/** Shared mode: many clients of every era multiplexed over one gateway-initialized child per configuration. */
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { type TestGateway, useServedGateway } from '../support/gateway-harness.js';
import { hostInfo, isAlive } from '../support/pids.js';

const text = (r: unknown) => (r as { content: Array<{ text: string }> }).content[0]?.text ?? '';

describe('shared mode', () => {
  let t: TestGateway;
  let base: string;
  useServedGateway((gw, url) => {
    t = gw;
    base = url;
  });

  async function legacy(path: string, headers: Record<string, string> = {}, sampling = false) {
    const client = new Client(
      { name: 'shared-test', version: '1.0.0' },
      { capabilities: sampling ? { sampling: {} } : {} },
    );
    if (sampling)
      client.setRequestHandler(CreateMessageRequestSchema, async () => ({
        role: 'assistant',
        content: { type: 'text', text: 'shared sample' },
        model: 'm',
      }));
    const transport = new StreamableHTTPClientTransport(new URL(`${base}${path}`), {
      requestInit: { headers },
    });
    await client.connect(transport);
    return { client, transport };
  }

  it('serves sessions of every transport and era from one child', async () => {
    const a = await legacy('/package/fixture-echo-mcp/mcp?mode=shared&apiKey=shared-1');
    const b = await legacy('/package/fixture-echo-mcp/mcp?apiKey=shared-1', { 'X-MCP-Mode': 'shared' });
    const sse = new Client({ name: 'sse', version: '1' });
    await sse.connect(
      new SSEClientTransport(new URL(`${base}/package/fixture-echo-mcp/sse?mode=shared&apiKey=shared-1`)),
    );
    const modern = new ModernClient(
      { name: 'modern', version: '1' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await modern.connect(
      new ModernTransport(new URL(`${base}/package/fixture-echo-mcp/mcp?apiKey=shared-1`)),
    );
    try {
      const pids = await Promise.all(
        [a.client, b.client, sse].map(
          async (c) => hostInfo(text(await c.callTool({ name: 'get_info', arguments: {} }))).pid,
        ),
      );
      pids.push(hostInfo(text(await modern.callTool({ name: 'get_info', arguments: {} }))).pid);
      expect(new Set(pids).size).toBe(1);
      expect(a.client.getServerVersion()).toMatchObject({ name: 'fixture-echo-mcp' });
      await a.transport.terminateSession();
      expect(isAlive(pids[0] as number)).toBe(true);
      expect(text(await b.client.callTool({ name: 'echo', arguments: { text: 'still here' } }))).toBe(
        'still here',
      );
      const listed = await t.get('/sessions');
      expect(listed.body.sessions.filter((s: { mode: string }) => s.mode === 'shared').length).toBe(2);
    } finally {
      await b.client.close();
      await sse.close();
      await modern.close();
    }
  });

  it('relays a server request to the client whose call caused it', async () => {
    const { client } = await legacy('/package/fixture-echo-mcp/mcp?mode=shared&samplingShared=1', {}, true);
    try {
      expect(text(await client.callTool({ name: 'sample', arguments: {} }))).toBe(
        'client said: shared sample',
      );
    } finally {
      await client.close();
    }
  });

  it('keeps 20 concurrent clients apart: every answer reaches the client that asked', async () => {
    const clients = await Promise.all(
      Array.from({ length: 20 }, () => legacy('/package/fixture-echo-mcp/mcp?mode=shared&load=1')),
    );
    try {
      const results = await Promise.all(
        clients.flatMap(({ client }, i) =>
          Array.from({ length: 5 }, (_, j) =>
            client
              .callTool({ name: 'echo', arguments: { text: `c${i}-r${j}` } })
              .then((r) => [`c${i}-r${j}`, text(r)]),
          ),
        ),
      );
      for (const [asked, got] of results) expect(got).toBe(asked);
      const pids = new Set(
        await Promise.all(
          clients
            .slice(0, 3)
            .map(
              async ({ client }) =>
                hostInfo(text(await client.callTool({ name: 'get_info', arguments: {} }))).pid,
            ),
        ),
      );
      expect(pids.size).toBe(1);
    } finally {
      await Promise.all(clients.map(({ client }) => client.close()));
    }
  });

  it('refuses an unknown mode', async () => {
    const res = await fetch(`${base}/package/fixture-echo-mcp/mcp?mode=turbo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'INVALID_PARAMETER' });
  });
});
