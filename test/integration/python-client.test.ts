/** The official Python MCP SDK client (mcp 2.x) through the gateway, in its legacy mode and in 2026-07-28 mode. */
import { describe, expect, inject, it } from 'vitest';
import { type TestGateway, useServedGateway } from '../support/gateway-harness.js';
import { runPythonClient } from '../support/python-client.js';

describe('Python SDK client', () => {
  let _t: TestGateway;
  let base: string;
  useServedGateway((gw, url) => {
    _t = gw;
    base = url;
  });

  it('works in legacy mode: session, tools, configuration and a sampling round trip', async () => {
    const out = await runPythonClient(
      inject('pythonClient'),
      `${base}/package/fixture-echo-mcp/mcp?apiKey=py-legacy`,
      'legacy',
    );
    expect(out).toMatchObject({
      protocolVersion: '2025-11-25',
      echo: 'from python',
      apiKey: 'py-legacy',
      sample: 'client said: python sample',
    });
    expect(out.tools).toEqual(expect.arrayContaining(['echo', 'get_env', 'sample']));
  });

  it('works in 2026-07-28 mode: stateless requests on the shared child, sampling through MRTR', async () => {
    const out = await runPythonClient(
      inject('pythonClient'),
      `${base}/package/fixture-echo-mcp/mcp?apiKey=py-modern`,
      '2026-07-28',
    );
    expect(out).toMatchObject({
      protocolVersion: '2026-07-28',
      echo: 'from python',
      apiKey: 'py-modern',
      sample: 'client said: python sample',
    });
  });

  it('works in auto mode (probes server/discover, then stays modern)', async () => {
    const out = await runPythonClient(
      inject('pythonClient'),
      `${base}/package/fixture-echo-mcp/mcp?apiKey=py-auto`,
      'auto',
    );
    expect(out).toMatchObject({
      protocolVersion: '2026-07-28',
      echo: 'from python',
      sample: 'client said: python sample',
    });
  });
});
