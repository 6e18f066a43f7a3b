/**
 * @module Installs one npm package version into a staging directory with `npm install --prefix`
 * (install scripts off unless allowed) and finds its bin the way npx does.
 */
import { readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from '../errors/gateway-error.js';
import { runCommand } from '../process/run-command.js';
import { normaliseBin } from '../registry/npm-registry-client.js';
import { selectEntryPoint } from '../spec/entry-point.js';
import type { InstalledEntry, InstallRequest } from './install-types.js';

export interface NpmInstallOptions extends InstallRequest {
  npmPath: string;
  registryUrl: string;
  allowScripts: boolean;
}

/** Runs npm and returns the entry point, relative to the staging directory. */
export async function installNpmPackage(o: NpmInstallOptions): Promise<InstalledEntry> {
  await writeFile(path.join(o.stagingDir, 'package.json'), '{"name":"mcp-store-entry","private":true}\n');
  const args = [
    'install',
    `${o.name}@${o.version}`,
    '--prefix',
    o.stagingDir,
    '--registry',
    `${o.registryUrl}/`,
    '--no-audit',
    '--no-fund',
    '--no-package-lock',
    '--omit=dev',
    '--no-update-notifier',
    '--loglevel=warn',
    o.allowScripts ? '--ignore-scripts=false' : '--ignore-scripts',
  ];
  const res = await runCommand(o.npmPath, args, {
    cwd: o.stagingDir,
    env: o.env,
    timeoutMs: Math.max(1, o.deadline - Date.now()),
    watch: o.watch,
    onOutput: o.onOutput,
  });
  if (res.timedOut || res.code !== 0) {
    const why = res.timedOut
      ? 'npm install timed out'
      : `npm install exited with code ${res.code ?? res.signal}`;
    throw new GatewayError('INSTALL_FAILED', `Installing ${o.name}@${o.version} failed: ${why}.`, {
      packageName: o.name,
      outputTail: res.outputTail,
    });
  }
  return findNpmEntry(o.stagingDir, o.name);
}

/** Reads the installed package.json and picks its bin; the bin must stay inside the package. */
async function findNpmEntry(root: string, name: string): Promise<InstalledEntry> {
  const pkgDir = path.join(root, 'node_modules', ...name.split('/'));
  const manifest = JSON.parse(await readFile(path.join(pkgDir, 'package.json'), 'utf8')) as {
    bin?: Record<string, string> | string;
  };
  const entry = selectEntryPoint(name, normaliseBin(name, manifest.bin), 'bin');
  const binPath = path.resolve(pkgDir, entry.target);
  let real: string;
  try {
    real = await realpath(binPath);
  } catch (cause) {
    throw new GatewayError(
      'PACKAGE_NOT_RUNNABLE',
      `The bin '${entry.name}' of '${name}' points to a missing file.`,
      { packageName: name, reason: `missing ${entry.target}`, entryPoints: [entry.name] },
      { cause },
    );
  }
  const realPkgDir = await realpath(pkgDir);
  if (!real.startsWith(realPkgDir + path.sep)) {
    throw new GatewayError(
      'PACKAGE_NOT_RUNNABLE',
      `The bin '${entry.name}' of '${name}' points outside the package.`,
      { packageName: name, reason: 'bin outside package', entryPoints: [entry.name] },
    );
  }
  const head = (await readFile(real)).subarray(0, 200).toString('utf8');
  const runsWithNode =
    !head.startsWith('#!') || /\bnode\b/.test(head.split('\n')[0] ?? '') || /\.[cm]?js$/.test(real);
  return { kind: runsWithNode ? 'node' : 'exec', name: entry.name, path: path.relative(root, real) };
}
