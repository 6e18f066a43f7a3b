/** @module Disk usage of a directory tree (sum of file sizes, symlinks not followed). */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Total bytes of regular files under `dir`; 0 when it does not exist. */
export async function dirSize(dir: string): Promise<number> {
  let total = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop() as string;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = path.join(current, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) total += (await lstat(p)).size;
    }
  }
  return total;
}
