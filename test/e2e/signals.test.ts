import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { spawnGateway } from '../support/gateway-process.js';
import { eventually, hostPid, isAlive, processesWith, waitDead } from '../support/pids.js';

async function launchWithGrandchild(url: string): Promise<{ server: number; grandchild: number }> {
  const res = await fetch(`${url}/package/fixture-grandchild-mcp/stdio`);
  const body = (await res.json()) as { processId: string };
  expect(res.status).toBe(200);
  const list = (await (await fetch(`${url}/processes/${body.processId}`)).json()) as { pid: number };
  const logs = (await (await fetch(`${url}/logs/${body.processId}`)).json()) as { lines: string[] };
  const found = /grandchild pid (\d+) in (\S+)/.exec(logs.lines.join('\n'));
  const grandchild = hostPid(Number(found?.[1]), found?.[2]);
  expect(isAlive(list.pid) && isAlive(grandchild)).toBe(true);
  return { server: list.pid, grandchild };
}

describe('the gateway as a process', () => {
  it('stops every child and grandchild on SIGTERM and exits 0', async () => {
    const gw = await spawnGateway();
    const pids = await launchWithGrandchild(gw.url);
    gw.child.kill('SIGTERM');
    const exit = await gw.exited;
    expect(exit.code).toBe(0);
    expect(await waitDead([pids.server, pids.grandchild], 5000)).toBe(true);
    expect(gw.output()).toContain('gateway shutdown');
  });

  it('leaves no child or grandchild alive when killed with SIGKILL', async () => {
    const gw = await spawnGateway();
    const pids = await launchWithGrandchild(gw.url);
    gw.child.kill('SIGKILL');
    await gw.exited;
    expect(await waitDead([pids.server, pids.grandchild], 8000)).toBe(true);
  });
});

describe('registry from the npm configuration', () => {
  it('uses the registry of the operator .npmrc when no registry variable is set', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mcp-gw-npmrc-'));
    const npmrc = path.join(dir, '.npmrc');
    await writeFile(npmrc, `registry=${inject('registries').npm}/\n`);
    const gw = await spawnGateway({ NPM_CONFIG_USERCONFIG: npmrc }, ['NPM_REGISTRY_URL']);
    try {
      const res = await fetch(`${gw.url}/package/fixture-echo-mcp@1.0.0/stdio`);
      expect(res.status).toBe(200);
      expect(gw.output()).toContain(`"npm":"${inject('registries').npm}"`);
    } finally {
      gw.child.kill('SIGTERM');
      await gw.exited;
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('PyPI indexes from the pip configuration', () => {
  it('searches the index-url and every extra-index-url of pip.conf (file:// too) when PYPI_INDEX_URL is unset', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mcp-gw-pipconf-'));
    const conf = path.join(dir, 'pip.conf');
    const fixtureIndex = `file://${inject('registries').work}/pypi/simple`;
    // The primary index is down (like pypi.org on this machine); the fixtures come from an extra file:// index.
    await writeFile(
      conf,
      `[global]\nindex-url = ${inject('registries').pypi}\nextra-index-url =\n    http://127.0.0.1:9/nowhere\n    ${fixtureIndex}\n`,
    );
    const gw = await spawnGateway({ PIP_CONFIG_FILE: conf }, ['PYPI_INDEX_URL']);
    try {
      expect(gw.output()).toContain(fixtureIndex);
      const ok = await fetch(`${gw.url}/package/pypi:fixture-py-api-mcp/stdio?fixtureApiKey=x`);
      // Resolved and installed from the configured indexes; the server then fails on its fake key.
      expect((await ok.json()) as { code: string }).toMatchObject({ code: 'SERVER_START_FAILED' });
      // Not on the indexes that answered; the one that could not be reached might have it: 503, named.
      const missing = await fetch(`${gw.url}/package/pypi:no-such-project-anywhere-x/stdio`);
      expect(missing.status).toBe(503);
      expect(await missing.json()).toMatchObject({
        code: 'INDEX_UNREACHABLE',
        guidance: { unreachable: ['http://127.0.0.1:9/nowhere'] },
      });
    } finally {
      gw.child.kill('SIGTERM');
      await gw.exited;
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a gateway killed with SIGKILL mid-install', () => {
  it('takes its installer down with it, and the next start sweeps its staging area and run directories', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mcp-gw-killed-'));
    await chmod(dir, 0o711);
    const dirs = { STORE_DIR: path.join(dir, 'store'), RUN_DIR: path.join(dir, 'run') };
    try {
      await killedThenSwept(dirs);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Kills a gateway mid-install with SIGKILL, then starts another on the same folders: what it finds. */
async function killedThenSwept(dirs: { STORE_DIR: string; RUN_DIR: string }): Promise<void> {
  // The slow fixture's postinstall waits a minute; it runs only because it is allowlisted here.
  const gw = await spawnGateway({ ...dirs, INSTALL_SCRIPTS_ALLOWLIST: 'fixture-slow-install-mcp' });
  try {
    expect((await fetch(`${gw.url}/package/fixture-echo-mcp@1.0.0/stdio`)).status).toBe(200);
    const installing = fetch(`${gw.url}/package/fixture-slow-install-mcp/stdio`).catch(() => null);
    expect(await eventually(() => processesWith('fixture-slow-install-marker').length > 0, 30_000)).toBe(
      true,
    );
    const installer = processesWith('fixture-slow-install-marker');
    expect(await readdir(path.join(dirs.STORE_DIR, '.staging'))).toHaveLength(1);
    gw.child.kill('SIGKILL');
    await gw.exited;
    await installing;
    // The watchdog kills the installer's whole process group, like every child's.
    expect(await waitDead(installer, 8000)).toBe(true);
    const [left] = await readdir(dirs.RUN_DIR);
    // The heartbeat, the children's resolv.conf (their network namespaces) and the echo child.
    expect(await readdir(path.join(dirs.RUN_DIR, left as string))).toHaveLength(3);
  } finally {
    if (gw.child.exitCode === null) gw.child.kill('SIGKILL');
  }
  const next = await spawnGateway(dirs);
  try {
    // Only the new gateway's own (empty) areas remain.
    const staging = await readdir(path.join(dirs.STORE_DIR, '.staging'));
    expect(staging).toHaveLength(1);
    expect(await readdir(path.join(dirs.STORE_DIR, '.staging', staging[0] as string))).toEqual(['.alive']);
    const run = await readdir(dirs.RUN_DIR);
    expect(run).toHaveLength(1);
    expect((await readdir(path.join(dirs.RUN_DIR, run[0] as string))).sort()).toEqual([
      '.alive',
      'resolv.conf',
    ]);
  } finally {
    next.child.kill('SIGTERM');
    await next.exited;
  }
}
