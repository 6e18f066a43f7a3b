/**
 * The package as a user gets it: `npm pack`, installed into an empty directory, run through its `bin`
 * (what `npx mcp-registry-server` runs): --version, --help, one-line errors, `api-key`, `install` into a
 * store, and `serve` with a busy port and a graceful stop.
 */
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, waitForHttp } from '../support/net.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs the installed bin; resolves with its exit code and output (never rejects). */
function cli(bin: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      bin,
      args,
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env }, timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the packed package, installed into an empty directory', () => {
  let dir: string;
  let bin: string;
  let version: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcp-packed-'));
    await chmod(dir, 0o711);
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: ROOT,
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    expect(packed?.files.map((f) => f.path)).toContain('dist/main.js');
    expect(packed?.files.some((f) => f.path.startsWith('src/') || f.path.startsWith('test/'))).toBe(false);
    const app = path.join(dir, 'app');
    await mkdir(app);
    await writeFile(path.join(app, 'package.json'), '{ "name": "app", "private": true }\n');
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(dir, packed?.filename ?? '')],
      {
        cwd: app,
        timeout: 240_000,
      },
    );
    bin = path.join(app, 'node_modules', '.bin', 'mcp-registry-server');
    version = (JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
  }, 300_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints its version and a help listing every setting with its variable and default', async () => {
    expect((await cli(bin, ['--version'])).stdout.trim()).toBe(version);
    const help = await cli(bin, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--max-processes\s+MAX_PROCESSES\s+10/);
    expect(help.stdout).toMatch(/--port\s+PORT\s+3000/);
    expect(help.stdout).toContain('install <spec>');
    // The values in effect: what the environment says, not only the defaults.
    const inEffect = await cli(bin, ['--help'], {
      MAX_PROCESSES: '7',
      PYPI_EXTRA_INDEX_URLS: 'https://pypi.example/simple',
    });
    expect(inEffect.stdout).toMatch(/--max-processes\s+MAX_PROCESSES\s+7\n/);
    expect(inEffect.stdout).toMatch(
      /--pypi-extra-index-urls\s+PYPI_EXTRA_INDEX_URLS\s+https:\/\/pypi\.example\/simple/,
    );
  });

  it('answers mistakes with one line naming the flag or variable, never a stack trace', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--bogus'], {}, /Unknown option '--bogus'.*--help/],
      [[], { MAX_PROCESSES: '0' }, /MAX_PROCESSES: Too small/],
      // A typed flag is named as typed.
      [['--max-processes=many'], {}, /--max-processes \(MAX_PROCESSES\): Invalid input/],
      [['launch'], {}, /Unknown command 'launch'/],
      [['api-key'], {}, /Usage: mcp-registry-server api-key <id> \[user\|admin\]/],
    ];
    for (const [args, env, message] of cases) {
      const r = await cli(bin, args, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('makes an API key whose entry holds only the hash', async () => {
    const r = await cli(bin, ['api-key', 'alice', 'admin']);
    expect(r.code).toBe(0);
    const key = /key \(give to the user, shown once\): (\S+)/.exec(r.stdout)?.[1] as string;
    expect(r.stdout).toMatch(/entry \(API_KEYS \/ API_KEYS_FILE\): alice:admin:[0-9a-f]{64}/);
    expect(r.stdout.split('entry')[1]).not.toContain(key);
  });

  it('installs packages into the store before going live, and names the one that fails', async () => {
    const reg = inject('registries');
    const env = {
      STORE_DIR: path.join(dir, 'store'),
      RUN_DIR: path.join(dir, 'run'),
      NPM_REGISTRY_URL: reg.npm,
      NPM_DOWNLOADS_API_URL: reg.downloads,
      PYPI_INDEX_URL: reg.pypi,
      LOG_DIR: path.join(dir, 'logs'),
    };
    const ok = await cli(bin, ['install', 'fixture-echo-mcp@1.2.0'], env);
    // Human lines only: the JSON log lines go to the log files (at the default level, info).
    expect(ok.stdout).not.toMatch(/^\{/m);
    expect(ok.stderr).not.toMatch(/^\{/m);
    expect(await readFile(path.join(dir, 'logs', 'combined.log'), 'utf8')).toMatch(/^\{"level":30/m);
    const json = await cli(bin, ['install', 'fixture-echo-mcp@1.2.0', '--log-format', 'json'], env);
    expect(json.stdout).not.toMatch(/^\{/m);
    expect(json.stderr).toMatch(/^\{"level":\d+,.*"service":"mcp-registry-server"/m);
    expect(ok.stdout).toMatch(/fixture-echo-mcp@1\.2\.0: npm fixture-echo-mcp@1\.2\.0 ready in \d+ ms/);
    // The steps, with npm's own output, on the way.
    expect(ok.stdout).toMatch(
      / {2}resolved npm fixture-echo-mcp@1\.2\.0\n {2}installing …\n[\s\S]* {2}installed in \d+ ms/,
    );
    expect(ok.code).toBe(0);
    const bad = await cli(bin, ['install', 'fixture-does-not-exist-anywhere'], env);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/fixture-does-not-exist-anywhere: failed: PACKAGE_NOT_FOUND/);
    expect(bad.stderr).toMatch(/1 of 1 packages could not be installed/);
  });

  it('serves, refuses a busy port in one line, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      STORE_DIR: path.join(dir, 'store'),
      RUN_DIR: path.join(dir, 'run'),
    };
    const child = spawn(bin, ['--port', String(port)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health`, 30_000);
      // One line for a person: where it listens, the dashboard, the sandbox, memory limits, keys.
      await expect.poll(() => stderr, { timeout: 30_000 }).toContain('listening on');
      expect(stderr).toMatch(
        new RegExp(
          `^mcp-registry-server ${version.replaceAll('.', '\\.')} listening on http://127\\.0\\.0\\.1:${port} · dashboard http://127\\.0\\.0\\.1:${port}/dashboard · sandbox \\S+ · memory \\S+ · API keys off`,
          'm',
        ),
      );
      const busy = await cli(bin, ['--port', String(port)], env);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain(`Port ${port} is already in use`);
      expect(busy.stderr).not.toMatch(/\n\s+at /);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
