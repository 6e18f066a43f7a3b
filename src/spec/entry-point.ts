/**
 * @module Chooses which command of a package to run, the way npx does (pure): the only one, else the
 * one named like the package (unscoped; for PyPI compared after PEP 503 normalisation).
 */
import { GatewayError } from '../errors/gateway-error.js';

export interface EntryPoint {
  /** The command name (npm bin name or console script name). */
  name: string;
  /** npm: path of the bin file inside the package; PyPI: the `module:function` reference. */
  target: string;
}

const normalise = (s: string) => s.replace(/[-_.]+/g, '-').toLowerCase();

/**
 * Picks the entry point of `packageName` among `entries`.
 * @throws GatewayError PACKAGE_NOT_RUNNABLE when there is none, or several and none named like the package.
 */
export function selectEntryPoint(
  packageName: string,
  entries: Readonly<Record<string, string>> | undefined,
  kind: 'bin' | 'console script',
): EntryPoint {
  const list = Object.entries(entries ?? {});
  if (list.length === 0) {
    throw new GatewayError(
      'PACKAGE_NOT_RUNNABLE',
      `Package '${packageName}' has no ${kind}, so it cannot be started as an MCP server.`,
      {
        packageName,
        reason:
          kind === 'bin'
            ? 'package.json declares no "bin"'
            : 'the package declares no console_scripts entry point',
        entryPoints: [],
      },
    );
  }
  if (list.length === 1) {
    const [name, target] = list[0] as [string, string];
    return { name, target };
  }
  const want = normalise(packageName.replace(/^@[^/]+\//, ''));
  const named = list.find(([n]) => normalise(n) === want);
  if (named) return { name: named[0], target: named[1] };
  throw new GatewayError(
    'PACKAGE_NOT_RUNNABLE',
    `Package '${packageName}' has several commands (${list.map(([n]) => n).join(', ')}) and none is named like the package, so the gateway cannot tell which one is the server.`,
    { packageName, reason: `several ${kind}s, none named '${want}'`, entryPoints: list.map(([n]) => n) },
  );
}
