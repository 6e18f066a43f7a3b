/**
 * @module Can a sandboxed child (another uid) reach a runtime binary? Every directory on its real path
 * must be searchable by others and the file readable; e.g. pyenv under a 0700 /root is not.
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { which } from '../process/runtime-detect.js';

/** True when users other than the owner can reach and read `file` (following links). */
export function reachableByOthers(file: string): boolean {
  try {
    const real = realpathSync(file);
    if ((statSync(real).mode & 0o005) !== 0o005) return false;
    for (let dir = path.dirname(real); ; dir = path.dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return false;
      if (dir === '/') return true;
    }
  } catch {
    return false;
  }
}

/** The install prefix of a runtime binary's real path (`…/bin/python3` -> `…`). */
export function runtimePrefix(binary: string): string {
  try {
    return path.dirname(path.dirname(realpathSync(binary)));
  } catch {
    return path.dirname(path.dirname(binary));
  }
}

/**
 * The Python to build venvs with. When children run as another uid and the configured one is out of
 * their reach, the system Python (/usr/bin/python3) is used instead, and `note` says so.
 */
export async function pythonForChildren(
  configured: string,
  otherUid: boolean,
): Promise<{ python: string; note?: string }> {
  if (!otherUid) return { python: configured };
  const found = await which(configured);
  if (!found || reachableByOthers(found)) return { python: configured };
  const system = '/usr/bin/python3';
  if (!reachableByOthers(system)) return { python: configured };
  return {
    python: system,
    note: `${found} is out of reach of sandboxed children (another uid); building venvs with ${system}`,
  };
}
