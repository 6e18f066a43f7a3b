/** The MCP Inspector CLI (`mcp-inspector --cli URL --transport …`) through the gateway. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useServedGateway } from '../support/gateway-harness.js';

const run = promisify(execFile);
const INSPECTOR = path.resolve(import.meta.dirname, '../../node_modules/.bin/mcp-inspector');

async function inspector(args: string[]): Promise<any> {
  const { stdout } = await run(INSPECTOR, ['--cli', ...args], {
    timeout: 60_000,
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  return JSON.parse(stdout);
}

describe('MCP Inspector CLI', () => {
  let base: string;
  useServedGateway((_gw, url) => {
    base = url;
  });

  it('lists and calls tools over Streamable HTTP', async () => {
    const url = `${base}/package/fixture-echo-mcp/mcp?apiKey=inspector-key`;
    const listed = await inspector([url, '--transport', 'http', '--method', 'tools/list']);
    expect(listed.tools.map((x: { name: string }) => x.name)).toContain('echo');
    const called = await inspector([
      url,
      '--transport',
      'http',
      '--method',
      'tools/call',
      '--tool-name',
      'get_env',
      '--tool-arg',
      'name=API_KEY',
    ]);
    expect(called.content[0].text).toBe('inspector-key');
  });

  it('lists tools over the legacy SSE transport', async () => {
    const listed = await inspector([
      `${base}/package/fixture-echo-mcp/sse`,
      '--transport',
      'sse',
      '--method',
      'tools/list',
    ]);
    expect(listed.tools.map((x: { name: string }) => x.name)).toContain('get_info');
  });
});
