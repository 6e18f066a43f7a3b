/**
 * The deployment files in deploy/, each exercised where this machine allows it:
 * - nginx.conf, checked with `nginx -t` and run by a real nginx (Debian package) with TLS in front of
 *   the gateway, with the MCP Inspector CLI as the client over /mcp and /sse;
 * - ecosystem.config.cjs, run by a real PM2: starts the gateway, restarts it after a crash, stops it
 *   gracefully;
 * - the systemd unit, checked with `systemd-analyze verify`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { prepareCheckout } from '../support/checkout.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { freePort, waitForHttp } from '../support/net.js';
import { NGINX, writeNginxMain } from '../support/nginx-front.js';
import { eventually, isAlive, waitDead } from '../support/pids.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const DEPLOY = path.join(ROOT, 'deploy');
const INSPECTOR = path.join(ROOT, 'node_modules/.bin/mcp-inspector');

/** deploy/nginx.conf for this test: our ports, a self-signed certificate, temp paths. */
async function nginxSite(dir: string, ports: { http: number; https: number; gateway: number }) {
  const site = (await readFile(path.join(DEPLOY, 'nginx.conf'), 'utf8'))
    .replaceAll('/etc/letsencrypt/live/mcp.example.com/fullchain.pem', path.join(dir, 'cert.pem'))
    .replaceAll('/etc/letsencrypt/live/mcp.example.com/privkey.pem', path.join(dir, 'key.pem'))
    .replaceAll('mcp.example.com', 'localhost')
    .replace(/listen \[::\]:\d+[^;]*;\n/g, '')
    .replace('listen 80;', `listen 127.0.0.1:${ports.http};`)
    .replace('listen 443 ssl http2;', `listen 127.0.0.1:${ports.https} ssl http2;`)
    .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${ports.gateway};`)
    .replace('root /var/www/html;', `root ${dir};`);
  await writeFile(path.join(dir, 'site.conf'), site);
  await writeNginxMain(dir, 'nginx', [`  include ${path.join(dir, 'site.conf')};`]);
}

async function inspector(
  url: string,
  transport: 'http' | 'sse',
  caFile: string,
): Promise<{ tools: Array<{ name: string }> }> {
  const { stdout } = await run(
    INSPECTOR,
    ['--cli', url, '--transport', transport, '--method', 'tools/list'],
    {
      timeout: 60_000,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, NODE_NO_WARNINGS: '1' },
    },
  );
  return JSON.parse(stdout);
}

describe.runIf(NGINX)('deploy/nginx.conf in front of the gateway', () => {
  let t: TestGateway | undefined;
  let nginx: ChildProcess | undefined;
  let dir: string;
  afterAll(async () => {
    nginx?.kill('SIGQUIT');
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes nginx -t, serves MCP over TLS on /mcp and /sse, and redirects plain HTTP', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcp-nginx-'));
    await chmod(dir, 0o755);
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
    ]);
    // Behind a proxy the gateway needs keys or a deliberate open registry (the exposure rule).
    t = await startTestGateway({ http: { trustProxy: true }, auth: { openRegistry: true } });
    const gatewayPort = Number(new URL(await t.serve()).port);
    const ports = { http: await freePort(), https: await freePort(), gateway: gatewayPort };
    await nginxSite(dir, ports);
    const conf = path.join(dir, 'nginx.conf');
    const checked = await run(NGINX as string, ['-t', '-p', dir, '-c', conf]).catch((e) => e);
    expect(String(checked.stderr)).toMatch(/syntax is ok[\s\S]*test is successful/);
    nginx = spawn(NGINX as string, ['-p', dir, '-c', conf], { stdio: 'ignore' });
    await waitForHttp(`http://127.0.0.1:${ports.http}/.well-known/acme-challenge/ready`, 10_000);

    const base = `https://localhost:${ports.https}/package/fixture-echo-mcp`;
    const caFile = path.join(dir, 'cert.pem');
    const overHttp = await inspector(`${base}/mcp?apiKey=through-nginx`, 'http', caFile);
    expect(overHttp.tools.map((x) => x.name)).toContain('echo');
    const overSse = await inspector(`${base}/sse?apiKey=through-nginx`, 'sse', caFile);
    expect(overSse.tools.map((x) => x.name)).toContain('echo');
    // The client address the gateway saw is nginx's X-Forwarded-For hop, not a header a client made up.
    expect(t.gw.sessions.list().every((s) => s.owner === 'anonymous:127.0.0.1')).toBe(true);

    const plain = await fetch(`http://127.0.0.1:${ports.http}/health`, { redirect: 'manual' });
    expect(plain.status).toBe(301);
    expect(plain.headers.get('location')).toBe('https://127.0.0.1/health');
  });
});

describe('deploy/ecosystem.config.cjs under a real PM2', () => {
  let dir: string;
  const pm2 = path.join(ROOT, 'node_modules/.bin/pm2');
  const env = () => ({
    ...process.env,
    PM2_HOME: path.join(dir, 'pm2-home'),
    MCP_REGISTRY_ENV_FILE: path.join(dir, 'gateway.env'),
  });
  afterAll(async () => {
    if (!dir) return;
    await run(pm2, ['kill'], { env: env() }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('starts the gateway, restarts it after a crash, and stops it gracefully', {
    timeout: 180_000,
  }, async () => {
    // A checkout's layout: the deploy file, a build, and the dependencies.
    dir = await mkdtemp(path.join(tmpdir(), 'mcp-pm2-'));
    await chmod(dir, 0o711);
    const app = await prepareCheckout(dir);
    const reg = inject('registries');
    const port = await freePort();
    await writeFile(
      path.join(dir, 'gateway.env'),
      [
        `PORT=${port}`,
        `STORE_DIR=${path.join(dir, 'store')}`,
        `RUN_DIR=${path.join(dir, 'run')}`,
        `NPM_REGISTRY_URL=${reg.npm}`,
        `NPM_DOWNLOADS_API_URL=${reg.downloads}`,
        '',
      ].join('\n'),
    );
    await run(pm2, ['start', path.join(app, 'deploy', 'ecosystem.config.cjs')], {
      env: env(),
      timeout: 60_000,
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/health`, 30_000);
    const described = async () => {
      const { stdout } = await run(pm2, ['jlist'], { env: env() });
      return (
        JSON.parse(stdout) as Array<{
          pid: number;
          pm2_env: {
            status: string;
            restart_time: number;
            max_memory_restart?: number;
            kill_timeout?: number;
          };
        }>
      )[0];
    };
    const first = await described();
    expect(first?.pm2_env.status).toBe('online');
    expect(first?.pm2_env.kill_timeout).toBe(45000);

    // A server runs under it; the crash of the gateway (SIGKILL) takes the child along and PM2 restarts it.
    const launched = await (await fetch(`${url}/package/fixture-echo-mcp/stdio`)).json();
    const childPid = (launched as { server?: unknown; processId: string }).processId;
    expect(childPid).toBeTruthy();
    process.kill(first?.pid as number, 'SIGKILL');
    expect(await eventually(async () => (await described())?.pm2_env.restart_time === 1, 30_000)).toBe(true);
    await waitForHttp(`${url}/health`, 30_000);
    const second = await described();
    expect(second?.pid).not.toBe(first?.pid);

    // Graceful stop: SIGTERM, the gateway stops its children and exits within kill_timeout.
    await (await fetch(`${url}/package/fixture-echo-mcp/stdio`)).json();
    const procs = (await (await fetch(`${url}/processes`)).json()) as { processes: Array<{ pid: number }> };
    const pids = procs.processes.map((p) => p.pid);
    expect(pids.length).toBe(1);
    await run(pm2, ['stop', 'mcp-registry-server'], { env: env(), timeout: 60_000 });
    expect(await waitDead([second?.pid as number, ...pids], 10_000)).toBe(true);
    expect(pids.some((p) => isAlive(p))).toBe(false);
    const logs = await readFile(path.join(app, '.data/logs/pm2-out.log'), 'utf8');
    expect(logs).toMatch(/shutting down/);
  });
});

describe('deploy/mcp-registry-server.service', () => {
  it.runIf(existsSync('/usr/bin/systemd-analyze'))(
    'passes systemd-analyze verify without a warning',
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'mcp-unit-'));
      try {
        const unit = (await readFile(path.join(DEPLOY, 'mcp-registry-server.service'), 'utf8')).replace(
          'ExecStart=/usr/bin/node',
          `ExecStart=${process.execPath}`,
        );
        const file = path.join(dir, 'mcp-registry-server.service');
        await writeFile(file, unit);
        const { stderr } = await run('systemd-analyze', ['verify', file]);
        expect(stderr.trim()).toBe('');
        for (const hardening of [
          'NoNewPrivileges=yes',
          'ProtectSystem=strict',
          'Delegate=yes',
          'User=mcp-registry',
        ])
          expect(unit).toContain(hardening);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
