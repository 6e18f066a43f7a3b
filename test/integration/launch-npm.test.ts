import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';

describe('launching npm packages from the local registry', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('installs and launches the latest version, answering the documented shape', async () => {
    const { status, body } = await t.get('/package/fixture-echo-mcp/stdio?apiKey=sekrit-value-123');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      success: true,
      packageName: 'fixture-echo-mcp',
      packageType: 'npm',
      version: '2.0.0',
      requestedVersion: 'latest',
      protocol: 'stdio',
      status: 'running',
      reused: false,
      connectionInfo: { env: { API_KEY: '***' } },
      quality: { checked: true, monthlyDownloads: 5000 },
      server: { serverInfo: { name: 'fixture-echo-mcp', version: '2.0.0' } },
    });
    expect(typeof body.processId).toBe('string');
    expect(typeof body.startTime).toBe('number');
    expect(JSON.stringify(body)).not.toContain('sekrit-value-123');
  });

  it('reuses the running process for an identical request', async () => {
    const first = await t.get('/package/fixture-echo-mcp/stdio?apiKey=sekrit-value-123');
    const second = await t.get('/package/fixture-echo-mcp@latest/stdio?apiKey=sekrit-value-123');
    expect(second.body.processId).toBe(first.body.processId);
    expect(second.body.reused).toBe(true);
  });

  it('starts a separate process for different parameters', async () => {
    const a = await t.get('/package/fixture-echo-mcp/stdio?apiKey=key-for-alice');
    const b = await t.get('/package/fixture-echo-mcp/stdio?apiKey=key-for-bob');
    expect(a.body.processId).not.toBe(b.body.processId);
  });
});
