/**
 * Memory of all children together (CHILDREN_MEMORY_MB, the setting under test: small here so that hogs
 * reach it): a key's hog meets the children's budget, the kernel takes the hog (children carry
 * oom_score_adj 1000), and the gateway and another key's child serve on. And on hosts without cgroups
 * (RLIMIT_DATA caps each child, not their sum), a launch is refused while the host has less memory
 * available than one child may use.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/pids.js';

const a = generateApiKey('hog-owner', 'user');
const b = generateApiKey('neighbour', 'user');
const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

describe('the children’s memory budget (cgroups)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ auth: { apiKeys: [a.entry, b.entry] }, sandbox: { childrenMemoryMb: 600 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reports the budget on /health', async () => {
    const { memoryLimit } = (await t.get('/health', as(b.key))).body.sandbox;
    expect(memoryLimit).toMatchObject({
      mechanism: expect.stringMatching(/^cgroup-v[12]$/),
      childrenMemoryMb: 600,
    });
  });

  it('takes the hog when the children together reach the budget; the gateway and the other key serve on', async () => {
    const neighbour = await t.get('/package/fixture-echo-mcp@1.0.0/stdio', as(b.key));
    expect(neighbour.status).toBe(200);
    const hog = await t.get('/package/fixture-hostile-mcp/stdio?n=hog', as(a.key));
    expect(hog.status).toBe(200);
    const hogId = hog.body.processId as string;
    const neighbourId = neighbour.body.processId as string;
    // Children are the kernel's first choice, never the gateway.
    for (const id of [hogId, neighbourId]) {
      const pid = t.gw.processes.get(id)?.process.pid;
      expect(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim(), id).toBe('1000');
    }
    expect(readFileSync('/proc/self/oom_score_adj', 'utf8').trim()).not.toBe('1000');

    await t.callTool(hogId, 'fill_memory');
    // Its own limit is 2048 MiB: what stops it is the 600 MiB the children share.
    expect(await eventually(() => t.gw.processes.get(hogId)?.process.status === 'failed', 50_000)).toBe(true);
    expect(t.gw.processes.get(hogId)?.process.failure).toMatch(/memory/);
    expect(await t.callTool(neighbourId, 'echo', { text: 'still here' })).toBe('still here');
    expect((await t.get('/health', as(b.key))).status).toBe(200);
  });
});

describe('without cgroups (CHILD_MEMORY_MECHANISM=rlimit)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // A child limit above what any host here has available: the headroom rule must refuse.
    const meminfo = readFileSync('/proc/meminfo', 'utf8');
    const totalMb = Math.ceil(Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1]) / 1024);
    t = await startTestGateway({ sandbox: { memoryMechanism: 'rlimit', memoryMb: totalMb + 1024 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a launch with 503 while the host has less available than one child may use', async () => {
    const res = await t.get('/package/fixture-echo-mcp@1.0.0/stdio');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      code: 'HOST_MEMORY_LOW',
      guidance: { availableMb: expect.any(Number), childMemoryMb: t.gw.config.sandbox.memoryMb },
    });
    expect(res.headers.get('retry-after')).toBe('30');
    expect(t.gw.processes.list()).toHaveLength(0);
  });
});
