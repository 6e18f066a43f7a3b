/**
 * @module Installs one PyPI package version into its own virtual environment (uv when present, else
 * python3 -m venv + pip) against the configured index, and reads its console scripts. pip (22.2 and
 * later) also writes its install report into the environment: which file it installed for each
 * distribution, with its hash (the supply-chain check reads it: readInstallReport).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from '../errors/gateway-error.js';
import { type CommandResult, runCommand } from '../process/run-command.js';
import { normalizePypiName } from '../registry/pypi-simple-index.js';
import { selectEntryPoint } from '../spec/entry-point.js';
import type { InstalledEntry, InstallRequest } from './install-types.js';

export interface PythonInstallOptions extends InstallRequest {
  python: string;
  uv: string | null;
  /** The index first, then extra indexes. */
  indexUrls: readonly string[];
}

/** Prints the distribution's name and console scripts as JSON (importlib.metadata, Python 3.8+). */
const LIST_SCRIPTS = [
  'import json, sys',
  'from importlib.metadata import distribution',
  'd = distribution(sys.argv[1])',
  'print(json.dumps({"name": d.metadata["Name"], "scripts": {e.name: e.value for e in d.entry_points if e.group == "console_scripts"}}))',
].join('\n');

function check(res: CommandResult, step: string, o: PythonInstallOptions): void {
  if (!res.timedOut && res.code === 0) return;
  const why = res.timedOut ? `${step} timed out` : `${step} exited with code ${res.code ?? res.signal}`;
  throw new GatewayError('INSTALL_FAILED', `Installing ${o.name}==${o.version} failed: ${why}.`, {
    packageName: o.name,
    outputTail: res.outputTail,
  });
}

/** pip's install report, in the environment it describes. */
const INSTALL_REPORT = '.pip-install-report.json';

/** Whether the environment's pip writes install reports (`--report`, pip 22.2 and later). */
async function pipReports(venv: string): Promise<boolean> {
  try {
    const lib = path.join(venv, 'lib');
    for (const py of await readdir(lib))
      for (const entry of await readdir(path.join(lib, py, 'site-packages'))) {
        const v = /^pip-(\d+)\.(\d+)/.exec(entry);
        if (v && entry.endsWith('.dist-info'))
          return Number(v[1]) > 22 || (Number(v[1]) === 22 && Number(v[2]) >= 2);
      }
  } catch {
    // no such layout: no report
  }
  return false;
}

/**
 * What pip's install report says it installed: the file of distribution `name` (its filename and
 * sha256), and how many distributions. Undefined without a report (uv, an older pip, a store entry
 * installed before reports).
 */
export async function readInstallReport(
  venv: string,
  name: string,
): Promise<{ file?: { filename: string; sha256: string }; packages: number } | undefined> {
  let report: {
    install?: Array<{
      metadata?: { name?: unknown };
      download_info?: { url?: unknown; archive_info?: { hash?: unknown; hashes?: { sha256?: unknown } } };
    }>;
  };
  try {
    report = JSON.parse(await readFile(path.join(venv, INSTALL_REPORT), 'utf8'));
  } catch {
    return undefined;
  }
  const installs = Array.isArray(report.install) ? report.install : [];
  const top = installs.find(
    (i) => normalizePypiName(String(i?.metadata?.name ?? '')) === normalizePypiName(name),
  );
  const info = top?.download_info;
  const url = typeof info?.url === 'string' ? info.url : undefined;
  const sha256 =
    info?.archive_info?.hashes?.sha256 ??
    /^sha256=([0-9a-f]{64})$/.exec(String(info?.archive_info?.hash ?? ''))?.[1];
  const last =
    url
      ?.replace(/[?#].*$/, '')
      .split('/')
      .pop() ?? '';
  let filename = last;
  try {
    filename = decodeURIComponent(last);
  } catch {
    // not percent-encoded after all
  }
  return {
    packages: installs.length,
    ...(filename && typeof sha256 === 'string' ? { file: { filename, sha256: sha256.toLowerCase() } } : {}),
  };
}

/** `--index-url FIRST --extra-index-url …` (pip and uv spell them alike). */
function indexArgs(urls: readonly string[]): string[] {
  const [first, ...extra] = urls;
  return [...(first ? ['--index-url', first] : []), ...extra.flatMap((u) => ['--extra-index-url', u])];
}

/** Creates the venv in the staging directory, installs the package and returns its console script. */
export async function installPythonPackage(o: PythonInstallOptions): Promise<InstalledEntry> {
  const run = (command: string, args: string[], env = o.env) =>
    runCommand(command, args, {
      env,
      timeoutMs: Math.max(1, o.deadline - Date.now()),
      watch: o.watch,
      onOutput: o.onOutput,
    });
  const venvPython = path.join(o.stagingDir, 'bin', 'python');
  const requirement = `${o.name}==${o.version}`;
  if (o.uv) {
    check(await run(o.uv, ['venv', '--python', o.python, o.stagingDir]), 'uv venv', o);
    const install = ['pip', 'install', '--python', venvPython, ...indexArgs(o.indexUrls), requirement];
    check(await run(o.uv, install), 'uv pip install', o);
  } else {
    check(await run(o.python, ['-m', 'venv', o.stagingDir]), 'python -m venv', o);
    const report = (await pipReports(o.stagingDir))
      ? ['--report', path.join(o.stagingDir, INSTALL_REPORT)]
      : [];
    const install = [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--no-input',
      ...report,
      ...indexArgs(o.indexUrls),
      requirement,
    ];
    // The same list as pip's own settings too, so that pip.conf's extra indexes (the ones left out for
    // being unreachable among them) do not come back on top of the arguments.
    const [first, ...extra] = o.indexUrls;
    const env = { ...o.env, PIP_INDEX_URL: first ?? '', PIP_EXTRA_INDEX_URL: extra.join(' ') };
    check(await run(venvPython, install, env), 'pip install', o);
  }
  const listed = await run(venvPython, ['-c', LIST_SCRIPTS, o.name]);
  check(listed, 'reading console scripts', o);
  const { name: distribution, scripts } = JSON.parse(listed.stdout) as {
    name: string;
    scripts: Record<string, string>;
  };
  const entry = selectEntryPoint(o.name, scripts, 'console script');
  return { kind: 'python', name: entry.name, distribution };
}
