import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { eventually, hostInfo, isAlive, waitDead } from '../support/pids.js';

const tool = (t: TestGateway, id: string, name: string, args: Record<string, unknown> = {}) =>
  t.callTool(id, name, args);

describe('process manager', () => {
  let t: TestGateway | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('gives the child only the allow-listed environment plus mapped parameters', async () => {
    process.env.GATEWAY_OWN_SECRET_FOR_TEST = 'must-not-leak';
    t = await startTestGateway();
    const { body } = await t.get(
      '/package/fixture-echo-mcp/stdio?firecrawlApiKey=fc-123&kebab-case-param=v&args=--a%3D1%20%22b%20c%22',
    );
    const info = hostInfo(await tool(t, body.processId, 'get_info'));
    // bubblewrap sets PWD (to HOME, its working directory); nothing else is added.
    expect(info.envNames.filter((n: string) => n !== 'PWD')).toEqual([
      'FIRECRAWL_API_KEY',
      'HOME',
      'KEBAB_CASE_PARAM',
      'LANG',
      'PATH',
      'TMPDIR',
    ]);
    expect(await tool(t, body.processId, 'get_env', { name: 'FIRECRAWL_API_KEY' })).toBe('fc-123');
    expect(await tool(t, body.processId, 'get_env', { name: 'GATEWAY_OWN_SECRET_FOR_TEST' })).toBe('');
    expect(JSON.parse(await tool(t, body.processId, 'get_argv'))).toEqual(['--a=1', 'b c']);
    expect(info.home).toContain(body.processId);
    expect(info.tmp).toContain(body.processId);
    delete process.env.GATEWAY_OWN_SECRET_FOR_TEST;
  });

  it('passes the operator CHILD_ENV_PASSTHROUGH variables, and refuses ones that load code', async () => {
    process.env.GATEWAY_TEST_CA = '/etc/ssl/test-ca.pem';
    t = await startTestGateway({ process: { childEnvPassthrough: ['GATEWAY_TEST_CA'] } });
    const { body } = await t.get('/package/fixture-echo-mcp@1.0.0/stdio');
    expect(await tool(t, body.processId, 'get_env', { name: 'GATEWAY_TEST_CA' })).toBe(
      '/etc/ssl/test-ca.pem',
    );
    delete process.env.GATEWAY_TEST_CA;
    await expect(startTestGateway({ process: { childEnvPassthrough: ['NODE_OPTIONS'] } })).rejects.toThrow(
      /CHILD_ENV_PASSTHROUGH may not contain NODE_OPTIONS/,
    );
  });

  it('installs once and shares one process under concurrent identical requests', async () => {
    t = await startTestGateway();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => t?.get('/package/fixture-echo-mcp@1.2.0/stdio?apiKey=same')),
    );
    expect(answers.every((a) => a?.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => a?.body.processId)).size).toBe(1);
    expect(t.logs.filter((l) => l.includes('"package installed"'))).toHaveLength(1);
    expect(t.logs.filter((l) => l.includes('"MCP server started"'))).toHaveLength(1);
  });

  it('stops a process on DELETE, with its grandchildren', async () => {
    t = await startTestGateway();
    const { body } = await t.get('/package/fixture-grandchild-mcp/stdio');
    const info = hostInfo(await tool(t, body.processId, 'get_info'));
    expect(isAlive(info.pid) && isAlive(info.grandchild)).toBe(true);
    const del = await t.get(`/processes/${body.processId}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(await waitDead([info.pid, info.grandchild], 5000)).toBe(true);
    expect((await t.get(`/processes/${body.processId}`)).status).toBe(404);
  });

  it('kills grandchildren too when a server crashes', async () => {
    t = await startTestGateway({ process: { maxRestarts: 0 } });
    const { body } = await t.get('/package/fixture-grandchild-mcp/stdio');
    const info = hostInfo(await tool(t, body.processId, 'get_info'));
    process.kill(info.pid, 'SIGKILL');
    expect(await waitDead([info.pid, info.grandchild], 5000)).toBe(true);
  });

  it('escalates to SIGKILL for a server that ignores stdin EOF and SIGTERM', async () => {
    t = await startTestGateway({ process: { stopGraceMs: 300 } });
    const { body } = await t.get('/package/fixture-stubborn-mcp/stdio');
    const pid = t.gw.processes.get(body.processId)?.process.pid as number;
    const started = Date.now();
    await t.get(`/processes/${body.processId}`, { method: 'DELETE' });
    expect(isAlive(pid)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    const logs = t.logs.join('');
    expect(logs).toContain('stopped by DELETE request');
  });

  it('restarts a crashed server with backoff, keeping its id, then gives up after the budget', async () => {
    t = await startTestGateway({ process: { maxRestarts: 2, restartBackoffMs: 50 } });
    const { body } = await t.get('/package/fixture-echo-mcp/stdio');
    const id = body.processId;
    for (let i = 1; i <= 2; i++) {
      await tool(t, id, 'crash');
      expect(
        await eventually(
          () =>
            t?.gw.processes.get(id)?.process.status === 'running' &&
            t.gw.processes.get(id)?.process.restarts === i,
          5000,
        ),
      ).toBe(true);
      expect(await tool(t, id, 'echo', { text: `alive ${i}` })).toBe(`alive ${i}`);
    }
    await tool(t, id, 'crash');
    expect(await eventually(() => t?.gw.processes.get(id)?.process.status === 'failed', 30_000)).toBe(true);
    const listed = await t.get(`/processes/${id}`);
    expect(listed.body).toMatchObject({
      status: 'failed',
      restarts: 2,
      failure: expect.stringMatching(/exited with code 3/),
    });
    expect(listed.body.stderrTail.join('\n')).toContain('crashing on request');
    const again = await t.get('/package/fixture-echo-mcp/stdio');
    expect(again.body.processId).not.toBe(id);
    expect(again.body.status).toBe('running');
  });

  it('fails fast with a clear error when a server never answers initialize', async () => {
    t = await startTestGateway({ process: { startupTimeoutMs: 800 } });
    const started = Date.now();
    const { status, body } = await t.get('/package/fixture-hang-mcp/stdio');
    expect(status).toBe(502);
    expect(body.message).toMatch(/did not answer the MCP initialize request within 800 ms/);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(t.gw.processes.list()).toHaveLength(0);
  });

  it('stops idle processes after the idle timeout', async () => {
    t = await startTestGateway({ process: { idleTimeoutMs: 400 } });
    const { body } = await t.get('/package/fixture-echo-mcp/stdio');
    const pid = t.gw.processes.get(body.processId)?.process.pid as number;
    expect(await eventually(() => t?.gw.processes.get(body.processId) === undefined, 30_000)).toBe(true);
    expect(await waitDead([pid], 3000)).toBe(true);
  });

  it('health checks ping each server and restart one that stops answering', async () => {
    t = await startTestGateway({
      process: { healthCheckIntervalMs: 200, pingTimeoutMs: 300, restartBackoffMs: 50 },
    });
    const { body } = await t.get('/package/fixture-echo-mcp/stdio');
    const p = t.gw.processes.get(body.processId)?.process;
    const oldPid = p?.pid as number;
    // Freeze the server itself (in a sandbox, the group leader is bubblewrap, not the server).
    const server = hostInfo(await tool(t, body.processId, 'get_info')).pid;
    process.kill(server, 'SIGSTOP');
    expect(await eventually(() => p?.restarts === 1 && p.status === 'running', 30_000)).toBe(true);
    expect(p?.pid).not.toBe(oldPid);
    expect(isAlive(oldPid)).toBe(false);
    expect(isAlive(server)).toBe(false);
    expect(t.logs.join('')).toContain('health check failed');
  });

  it('keeps a server that answers ping with an error (it is alive)', async () => {
    t = await startTestGateway({ process: { healthCheckIntervalMs: 100, pingTimeoutMs: 300 } });
    const { body } = await t.get('/package/fixture-junk-mcp/stdio');
    const p = t.gw.processes.get(body.processId)?.process;
    await new Promise((r) => setTimeout(r, 700));
    expect(p?.status).toBe('running');
    expect(p?.restarts).toBe(0);
    expect(t.logs.join('')).not.toContain('health check failed');
  });

  it('at the limit reclaims the least recently active idle process; 503 with Retry-After only when all are busy', async () => {
    t = await startTestGateway({ process: { maxProcesses: 2 } });
    const one = (await t.get('/package/fixture-echo-mcp/stdio?n=1')).body.processId;
    const two = (await t.get('/package/fixture-echo-mcp/stdio?n=2')).body.processId;
    const three = await t.get('/package/fixture-echo-mcp/stdio?n=3');
    expect(three.status).toBe(200);
    expect(t.gw.processes.get(one)).toBeUndefined(); // the least recently active gave way
    // Both remaining processes now have a call in flight: nothing may give way.
    const hung = [two, three.body.processId].map((id) => t?.callTool(id, 'hang').catch(() => undefined));
    const busy = () =>
      [two, three.body.processId].every((id) => (t?.gw.processes.get(id)?.process.inFlight ?? 0) > 0);
    expect(await eventually(busy, 30_000)).toBe(true);
    const fourth = await t.get('/package/fixture-echo-mcp/stdio?n=4');
    expect(fourth.status).toBe(503);
    expect(fourth.body).toMatchObject({
      error: 'Too many active processes',
      code: 'PROCESS_LIMIT_REACHED',
      // The keyless local operator is an admin: refused only when every process is its own and busy.
      guidance: { limit: 2, scope: 'gateway', busy: 2 },
    });
    expect(fourth.headers.get('retry-after')).toBe('30');
    expect((await t.get('/package/fixture-echo-mcp/stdio?n=2')).body.reused).toBe(true);
    void hung;
  });
});
