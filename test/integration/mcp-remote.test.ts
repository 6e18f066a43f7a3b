/**
 * mcp-remote, the bridge that desktop clients (Claude Desktop) use to reach a remote MCP server: run as
 * the stdio server such a client starts, pointed at a package's `/mcp` on the gateway at its defaults,
 * it lists and calls the package's tools through the gateway's Streamable HTTP sessions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';

const require = createRequire(import.meta.url);
const PROXY = path.join(path.dirname(require.resolve('mcp-remote/package.json')), 'dist/proxy.js');

let t: TestGateway;
let base: string;
let configDir: string;

beforeAll(async () => {
  t = await startTestGateway();
  base = await t.serve();
  // mcp-remote keeps OAuth state in a folder of its own; none is needed here, and none is left behind.
  configDir = await mkdtemp(path.join(tmpdir(), 'mcp-remote-'));
});

afterAll(async () => {
  await t?.close();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

describe('mcp-remote', () => {
  it('lists and calls a package’s tools through the gateway', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [PROXY, `${base}/package/fixture-echo-mcp/mcp`, '--transport', 'http-only'],
      env: { ...(process.env as Record<string, string>), MCP_REMOTE_CONFIG_DIR: configDir },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'desktop-app', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('echo');
      const result = (await client.callTool({ name: 'echo', arguments: { text: 'via mcp-remote' } })) as {
        content: Array<{ text: string }>;
      };
      expect(result.content[0]?.text).toBe('via mcp-remote');
      expect(t.gw.sessions.size).toBeGreaterThanOrEqual(1);
    } finally {
      await client.close();
    }
  });
});
