/**
 * Starts a real Verdaccio registry (from node_modules) on a free port with temporary storage and no
 * uplink, and publishes the fixture packages to it with the real npm client.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { FIXTURE_PACKAGES, type FixturePackage } from '../fixtures/npm/packages.js';
import { freePort, waitForHttp } from './net.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURE_DIR = path.join(ROOT, 'test/fixtures/npm');

export interface RunningRegistry {
  url: string;
  stop(): Promise<void>;
}

function configYaml(storage: string, htpasswd: string): string {
  return `storage: ${storage}
auth:
  htpasswd:
    file: ${htpasswd}
    max_users: -1
uplinks: {}
packages:
  '@*/*':
    access: $all
    publish: $all
    unpublish: $all
  '**':
    access: $all
    publish: $all
    unpublish: $all
server:
  keepAliveTimeout: 60
log: { type: stdout, format: json, level: error }
`;
}

async function writeFixture(dir: string, fx: FixturePackage, version: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const manifest: Record<string, unknown> = {
    name: fx.name,
    version,
    description: `Fixture MCP server ${fx.name}`,
    license: 'MIT',
    main: 'server.cjs',
    fixtureMode: fx.mode ?? 'normal',
    files: ['server.cjs'],
  };
  if (fx.bins) manifest.bin = Object.fromEntries(fx.bins.map((b) => [b, 'server.cjs']));
  if (fx.dependencies) manifest.dependencies = fx.dependencies;
  if (fx.scripts) manifest.scripts = fx.scripts;
  await writeFile(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  await copyFile(path.join(FIXTURE_DIR, fx.program ?? 'server-template.cjs'), path.join(dir, 'server.cjs'));
}

async function publishAll(url: string, work: string): Promise<void> {
  const npmrc = path.join(work, '.npmrc');
  const host = new URL(url).host;
  await writeFile(npmrc, `registry=${url}/\n//${host}/:_authToken=fixture-token\n`);
  const jobs = FIXTURE_PACKAGES.flatMap((fx) => fx.versions.map((v) => ({ fx, v })));
  const publishOne = async ({ fx, v }: { fx: FixturePackage; v: string }) => {
    const dir = path.join(work, 'pkgs', `${fx.name.replace('/', '+')}@${v}`);
    await writeFixture(dir, fx, v);
    const tag = v.includes('-') ? ['--tag', 'next'] : [];
    await run(
      'npm',
      [
        'publish',
        dir,
        '--registry',
        `${url}/`,
        '--userconfig',
        npmrc,
        '--no-audit',
        '--ignore-scripts',
        ...tag,
      ],
      {
        env: { PATH: process.env.PATH ?? '', HOME: work },
      },
    );
  };
  // npm publish of successive versions of one package must not race; different packages may.
  const byName = new Map<string, typeof jobs>();
  for (const j of jobs) byName.set(j.fx.name, [...(byName.get(j.fx.name) ?? []), j]);
  await Promise.all(
    [...byName.values()].map(async (list) => {
      for (const j of list) await publishOne(j);
    }),
  );
}

/** Starts Verdaccio in `work` and publishes every fixture. */
export async function startVerdaccio(work: string): Promise<RunningRegistry> {
  const port = await freePort();
  const storage = path.join(work, 'storage');
  await mkdir(storage, { recursive: true });
  const config = path.join(work, 'config.yaml');
  await writeFile(config, configYaml(storage, path.join(work, 'htpasswd')));
  const bin = path.join(ROOT, 'node_modules/verdaccio/bin/verdaccio');
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, '--config', config, '--listen', `127.0.0.1:${port}`],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/-/ping`, 30_000);
  await publishAll(url, work);
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
    },
  };
}
