/**
 * MAX_PROCESSES is per host across the gateways of a cluster sharing it (PM2 workers): a gateway at the
 * host's limit reclaims the least recently active idle process even when a neighbour runs it (asked
 * through the neighbour's cluster address), and refuses only when every process on the host is busy.
 * Two gateways with a real Redis and one run directory; MAX_PROCESSES=2 is what this test is about.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/pids.js';
import { REDIS_SERVER, startRedis, type TestRedis } from '../support/redis.js';

describe.runIf(REDIS_SERVER)('the process limit of a host shared by two gateways', () => {
  let redis: TestRedis;
  let dir: string;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    redis = await startRedis();
    dir = await mkdtemp(path.join(tmpdir(), 'mcp-host-'));
    const shared = {
      cluster: { redisUrl: redis.url },
      process: { runDir: path.join(dir, 'run'), maxProcesses: 2 },
    };
    [a, b] = await Promise.all([startTestGateway(shared), startTestGateway(shared)]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const local = async (t: TestGateway) =>
    (
      (await t.get('/processes?scope=local')).body as {
        processes: Array<{ id: string; packageName: string }>;
      }
    ).processes;

  it("reclaims a neighbour's idle process at the host limit, and refuses only when all are busy", async () => {
    const first = await a.get('/package/fixture-echo-mcp@1.0.0/stdio');
    const second = await a.get('/package/fixture-echo-mcp@1.1.0/stdio');
    expect([first.status, second.status]).toEqual([200, 200]);
    // The host is full (2 of 2, both on A): B's launch makes A stop its least recently active idle one.
    const third = await b.get('/package/@fixtures/scoped-mcp/stdio');
    expect(third.status).toBe(200);
    expect((await local(a)).map((p) => p.id)).toEqual([(second.body as { processId: string }).processId]);
    expect((await local(b)).map((p) => p.packageName)).toEqual(['@fixtures/scoped-mcp']);
    expect(a.logs.join('')).toContain('reclaimed for another gateway of this host');

    // Both processes busy (a call in flight each): nothing may give way once A has published its own as
    // busy (every 2 s) — waited for in A's published file, not with a timer.
    const busyA = a.callTool((second.body as { processId: string }).processId, 'slow', { ms: 8000 });
    const busyB = b.callTool((third.body as { processId: string }).processId, 'slow', { ms: 8000 });
    const publishedBusy = async () => {
      const file = path.join(
        path.dirname(a.gw.processes.list()[0]?.process.homeDir ?? ''),
        '..',
        'processes.json',
      );
      const text = await readFile(file, 'utf8').catch(() => '{}');
      const views = (JSON.parse(text) as { processes?: Array<{ idle: boolean }> }).processes ?? [];
      return views.length > 0 && views.every((v) => !v.idle);
    };
    expect(await eventually(publishedBusy, 30_000)).toBe(true);
    const refused = await b.get('/package/fixture-multi-bin-mcp/stdio');
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'PROCESS_LIMIT_REACHED' });
    await Promise.all([busyA, busyB]);
    // Idle again: the launch goes through.
    expect(
      await eventually(
        async () => (await b.get('/package/fixture-multi-bin-mcp/stdio')).status === 200,
        10_000,
        500,
      ),
    ).toBe(true);
  });
});
