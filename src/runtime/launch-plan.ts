/**
 * @module Builds the command, arguments and environment of a child (pure). The child sees an allow-list
 * (PATH, a private HOME and TMPDIR, LANG) plus the request's mapped parameters, never the gateway's variables.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { InstalledPackage } from '../store/install-types.js';

/** Starts a console script by name from the venv's own interpreter, so the venv may live anywhere. */
export const PYTHON_BOOTSTRAP = [
  'import sys',
  'from importlib.metadata import distribution',
  'dist, name = sys.argv[1], sys.argv[2]',
  "ep = next(e for e in distribution(dist).entry_points if e.group == 'console_scripts' and e.name == name)",
  'sys.argv = [name] + sys.argv[3:]',
  'sys.exit(ep.load()())',
].join('\n');

/** What to spawn. */
export interface LaunchPlan {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** What the sandbox mounts for this child (absent: run unsandboxed, e.g. test plans). */
  sandbox?: {
    /** The package's installed files, mounted read-only. */
    packageDir: string;
    network: boolean;
    /** Operator files the child needs (paths among the passthrough variables, e.g. a CA bundle). */
    extraReadOnly: string[];
  };
}

/** The command and arguments that start `pkg`, with `userArgs` after the entry point. */
export function buildCommand(
  pkg: InstalledPackage,
  userArgs: readonly string[],
  nodePath: string,
  nodeHeapMb?: number,
): { command: string; args: string[] } {
  const e = pkg.entry;
  if (e.kind === 'node') {
    const heap = nodeHeapMb ? [`--max-old-space-size=${nodeHeapMb}`] : [];
    return { command: nodePath, args: [...heap, path.join(pkg.dir, e.path), ...userArgs] };
  }
  if (e.kind === 'exec') return { command: path.join(pkg.dir, e.path), args: [...userArgs] };
  return {
    command: path.join(pkg.dir, 'bin', 'python'),
    args: ['-c', PYTHON_BOOTSTRAP, e.distribution, e.name, ...userArgs],
  };
}

export interface ChildEnvInput {
  pkg: InstalledPackage;
  nodePath: string;
  /** The PATH the gateway itself was started with (directories only, no secrets). */
  systemPath: string;
  /** Operator-chosen gateway variables (CHILD_ENV_PASSTHROUGH). */
  passthrough: Readonly<Record<string, string>>;
  mapped: Readonly<Record<string, string>>;
}

/**
 * The child's environment: allow-listed basics, then the request's parameters. HOME and TMPDIR are
 * added by the managed process, which owns the private directories.
 */
export function buildChildEnv(i: ChildEnvInput): Record<string, string> {
  const dirs = [path.dirname(i.nodePath), ...i.systemPath.split(path.delimiter)];
  if (i.pkg.entry.kind === 'python') dirs.unshift(path.join(i.pkg.dir, 'bin'));
  const uniquePath = [...new Set(dirs.filter(Boolean))].join(path.delimiter);
  return { PATH: uniquePath, LANG: 'C.UTF-8', ...i.passthrough, ...i.mapped };
}

/**
 * The identity of a configuration: equal for requests that may share one process (same package version,
 * parameters and args). A hash, so secrets never appear in it.
 */
export function configurationKey(
  storeKey: string,
  mapped: Readonly<Record<string, string>>,
  userArgs: readonly string[],
  owner: string,
): string {
  const h = createHash('sha256');
  h.update(storeKey);
  h.update(`\0owner=${owner}`);
  for (const k of Object.keys(mapped).sort()) h.update(`\0${k}=${mapped[k]}`);
  h.update(`\0args=${JSON.stringify(userArgs)}`);
  return h.digest('hex').slice(0, 32);
}
