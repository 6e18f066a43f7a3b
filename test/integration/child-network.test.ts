/**
 * A child's own code against what it can reach on the network, at default settings (CHILD_NETWORK
 * auto: a network namespace of its own per child, through slirp4netns). The hostile fixture tries the
 * gateway's port, the gateway's cluster address, Redis, another loopback service, and the one port the
 * operator opened (CHILD_HOST_PORTS, the setting under test). The rules against private and link-local
 * networks are checked by reading them in the child's namespace: no test traffic goes to such addresses.
 */
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixtureApi, startFixtureApi } from '../support/fixture-api.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { REDIS_SERVER, startRedis, type TestRedis } from '../support/redis.js';

interface Reach {
  ok: boolean;
  error?: string;
}

describe.runIf(REDIS_SERVER)('a child’s own network, in cluster mode with Redis', () => {
  let t: TestGateway;
  let base: string;
  let redis: TestRedis;
  let opened: FixtureApi;
  let closed: FixtureApi;
  let hostile: string;
  const call = async (id: string, tool: string, args: Record<string, unknown> = {}) =>
    JSON.parse(await t.callTool(id, tool, args));
  const reach = (id: string, host: string, port: number): Promise<Reach> =>
    call(id, 'connect', { host, port });
  const launch = async (spec: string, query = '') => {
    const res = await t.get(`/package/${spec}/stdio${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.processId as string;
  };
  /** The ruleset installed in the namespace of process `id`, as nft lists it. */
  const rulesOf = (id: string) => {
    const pid = t.gw.processes.get(id)?.process.pid;
    return execFileSync('nsenter', [`--net=/proc/${pid}/ns/net`, 'nft', 'list', 'ruleset'], {
      encoding: 'utf8',
    });
  };

  beforeAll(async () => {
    redis = await startRedis();
    opened = await startFixtureApi();
    closed = await startFixtureApi();
    t = await startTestGateway({
      cluster: { redisUrl: redis.url },
      sandbox: {
        hostPorts: [String(opened.port)],
        allowNets: ['203.0.113.0/24'],
        noNetwork: ['fixture-hostile-offline-mcp'],
      },
    });
    base = await t.serve();
    hostile = await launch('fixture-hostile-mcp', '?n=network');
  });
  afterAll(async () => {
    await t?.close();
    await opened?.stop();
    await closed?.stop();
    await redis?.stop();
  });

  it('warns at start that this REDIS_URL has no password (whoever reaches Redis reads the cluster secret)', () => {
    expect(t.logs.join('')).toContain('REDIS_URL has no password');
  });

  it('reports the isolated network and what is opened on /health', async () => {
    const { network } = (await t.get('/health')).body.sandbox;
    expect(network).toEqual({ mode: 'isolated', hostPorts: [opened.port], allowNets: ['203.0.113.0/24'] });
  });

  it('cannot reach the gateway, its cluster address, Redis or another local service', async () => {
    const gatewayPort = Number(new URL(base).port);
    const cluster = t.gw.cluster.self.address;
    const [clusterHost, clusterPort] = [
      cluster.slice(0, cluster.lastIndexOf(':')),
      Number(cluster.split(':').at(-1)),
    ];
    // Each one answers the host (the test): the refusals below are the namespace's doing.
    for (const [host, port] of [
      ['127.0.0.1', gatewayPort],
      [clusterHost, clusterPort],
      ['127.0.0.1', redis.port],
      ['127.0.0.1', closed.port],
    ] as const) {
      const answer = await new Promise<boolean>((resolve) => {
        const s = connect(port, host, () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      expect(answer, `${host}:${port} from the host`).toBe(true);
      const fromChild = await reach(hostile, host, port);
      expect(fromChild, `${host}:${port} from the child`).toEqual({ ok: false, error: 'ECONNREFUSED' });
      // The slirp host address is closed too, but for the opened port, and refused at once.
      expect(await reach(hostile, '10.0.2.2', port), `10.0.2.2:${port}`).toEqual({
        ok: false,
        error: 'ECONNREFUSED',
      });
    }
    expect(closed.seen).toEqual([]);
  });

  it('reaches the one host port CHILD_HOST_PORTS opens, as 127.0.0.1 like a local service', async () => {
    expect(await reach(hostile, '127.0.0.1', opened.port)).toEqual({ ok: true });
  });

  it('reaches the public internet (the npm registry) through its own stack', async () => {
    expect(await reach(hostile, 'registry.npmjs.org', 443)).toEqual({ ok: true });
  });

  it('has rules that refuse the host, link-local, private and shared ranges, with the listed exceptions', () => {
    const rules = rulesOf(hostile);
    for (const net of ['169.254.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'])
      expect(rules).toContain(net);
    for (const net of ['fc00::/7', 'fe80::/10']) expect(rules).toContain(net);
    expect(rules).toMatch(/ip daddr 10\.0\.2\.2 goto refuse/);
    expect(rules).toMatch(/chain refuse \{\s+meta l4proto tcp reject with tcp reset/);
    expect(rules).toMatch(new RegExp(`ip daddr 10\\.0\\.2\\.2 tcp dport ${opened.port} accept`));
    expect(rules).toMatch(/ip daddr 203\.0\.113\.0\/24 accept/);
    // The exceptions come before the refusals (nft evaluates in order).
    expect(rules.indexOf('203.0.113.0/24')).toBeLessThan(rules.indexOf('169.254.0.0/16'));
    expect(rules).toMatch(
      new RegExp(`ip daddr 127\\.0\\.0\\.1 tcp dport ${opened.port} dnat (ip )?to 10\\.0\\.2\\.2`),
    );
  });

  it('cannot change its own rules (no capability over its namespace)', async () => {
    const pid = t.gw.processes.get(hostile)?.process.pid;
    const before = rulesOf(hostile);
    const tried = await call(hostile, 'write_paths', {
      paths: ['/proc/sys/net/ipv4/conf/all/route_localnet'],
    });
    expect(tried[0].ok).toBe(false);
    expect(rulesOf(hostile)).toBe(before);
    expect(pid).toBeGreaterThan(0);
  });

  it('gives packages the operator cuts off no network at all, not even the opened port', async () => {
    const offline = await launch('fixture-hostile-offline-mcp');
    expect((await reach(offline, '127.0.0.1', opened.port)).ok).toBe(false);
    expect((await reach(offline, 'registry.npmjs.org', 443)).ok).toBe(false);
    expect((await t.get(`/processes/${offline}`)).body.network).toBe(false);
  });
});

describe('CHILD_NETWORK=none', () => {
  let t: TestGateway;
  let api: FixtureApi;
  beforeAll(async () => {
    api = await startFixtureApi();
    t = await startTestGateway({ sandbox: { network: 'none' } });
  });
  afterAll(async () => {
    await t?.close();
    await api?.stop();
  });

  it('gives children no network at all', async () => {
    expect((await t.get('/health')).body.sandbox.network.mode).toBe('none');
    const res = await t.get('/package/fixture-hostile-mcp/stdio?n=none');
    expect(res.status).toBe(200);
    const id = res.body.processId as string;
    const tryIt = async (host: string, port: number) =>
      JSON.parse(await t.callTool(id, 'connect', { host, port })) as Reach;
    expect((await tryIt('127.0.0.1', api.port)).ok).toBe(false);
    expect((await tryIt('registry.npmjs.org', 443)).ok).toBe(false);
  });
});
