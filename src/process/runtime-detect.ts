/**
 * @module Finds the runtimes and installers on this machine (node, npm, python3 with venv, uv) once,
 * and says what to install when one is missing.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from '../errors/gateway-error.js';
import type { RegistryKind } from '../spec/package-spec.js';
import { runCommand } from './run-command.js';

export interface Runtimes {
  node: string;
  npm: string | null;
  python: string | null;
  /** python3 can create virtual environments with pip (Debian: python3-venv). */
  pythonVenv: boolean;
  uv: string | null;
}

/** Finds `cmd` on PATH (or checks it when it is a path); null when absent. */
export async function which(cmd: string, envPath = process.env.PATH ?? ''): Promise<string | null> {
  const candidates = cmd.includes('/')
    ? [cmd]
    : envPath
        .split(path.delimiter)
        .filter(Boolean)
        .map((d) => path.join(d, cmd));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return path.resolve(c);
    } catch {
      // not here
    }
  }
  return null;
}

/** Probes the machine. `python` is the configured interpreter; `useUv` false ignores uv. */
export async function detectRuntimes(python: string, useUv: boolean): Promise<Runtimes> {
  const [npm, py, uv] = await Promise.all([
    which('npm'),
    which(python),
    useUv ? which('uv') : Promise.resolve(null),
  ]);
  let pythonVenv = false;
  if (py) {
    const probe = await runCommand(py, ['-c', 'import venv, ensurepip'], {
      env: { PATH: process.env.PATH ?? '' },
      timeoutMs: 15_000,
    });
    pythonVenv = probe.code === 0;
  }
  return { node: process.execPath, npm, python: py, pythonVenv, uv };
}

/**
 * Throws RUNTIME_NOT_AVAILABLE when packages of `kind` cannot be installed here, naming what to install.
 */
export function assertRuntimeFor(kind: RegistryKind, rt: Runtimes): void {
  if (kind === 'npm' && !rt.npm) {
    throw new GatewayError(
      'RUNTIME_NOT_AVAILABLE',
      "Command 'npm' not found. NPM packages require Node.js with npm.",
      {
        packageType: 'npm',
        installation: {
          command: 'apt-get install -y nodejs npm',
          description: 'Install Node.js 20+ with npm',
          afterInstall: 'Restart the gateway, then try the request again',
        },
      },
    );
  }
  if (kind === 'pypi' && !rt.uv && !(rt.python && rt.pythonVenv)) {
    const what = rt.python
      ? `'${rt.python}' cannot create virtual environments`
      : "Command 'python3' not found";
    throw new GatewayError(
      'RUNTIME_NOT_AVAILABLE',
      `${what}. PYPI packages require uv, or python3 with venv and pip.`,
      {
        packageType: 'pypi',
        installation: {
          options: [
            'apt-get install -y python3 python3-venv',
            'or install uv (https://docs.astral.sh/uv/), which the gateway uses when it is on PATH',
          ],
          afterInstall: 'Restart the gateway, then try the request again',
        },
      },
    );
  }
}
