/**
 * @module Directories only the gateway may read (logs, pins, toolsets, its OAuth state): the directory
 * itself gets the private mode, its parents the ordinary one. `mkdir -p` with a mode would give every
 * parent it makes that mode too, and a `.data/` made 0700 that way keeps the sandboxed children (another
 * uid) from reaching the store beside it, so bubblewrap cannot run them.
 */
import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

export function mkdirPrivateSync(dir: string, mode = 0o700): void {
  mkdirSync(path.dirname(dir), { recursive: true });
  mkdirSync(dir, { recursive: true, mode });
}

export async function mkdirPrivate(dir: string, mode = 0o700): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true });
  await mkdir(dir, { recursive: true, mode });
}
