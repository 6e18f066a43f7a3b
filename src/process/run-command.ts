/**
 * @module Runs an installer command (npm, pip, uv) without a shell, in its own process group, with a
 * timeout that kills the whole group, keeping only the tail of its output. Given a `GroupWatch` (the
 * orphan reaper), the group dies with the gateway even when the gateway is killed with SIGKILL.
 */

import { spawn } from 'node:child_process';
import type { GroupWatch } from './orphan-reaper.js';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The last lines of stdout and stderr, interleaved. */
  outputTail: string[];
  /** Full stdout (capped at 1 MiB), for commands whose output is data. */
  stdout: string;
}

export interface RunOptions {
  cwd?: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Lines of output kept (default 30). */
  tailLines?: number;
  /** Told about the command's process group while it runs (so it never outlives the gateway). */
  watch?: GroupWatch | undefined;
  /** Told each non-empty line of output as it comes (progress), truncated to 500 characters. */
  onOutput?: ((line: string) => void) | undefined;
}

const MAX_STDOUT = 1024 * 1024;

/** Runs `command args` and resolves when it exits (never rejects on a non-zero exit). */
export function runCommand(command: string, args: string[], opts: RunOptions): Promise<CommandResult> {
  return new Promise((resolve) => {
    const keep = opts.tailLines ?? 30;
    const tail: string[] = [];
    let stdout = '';
    const push = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split(/\r?\n/)) {
        if (line.trim() === '') continue;
        const kept = line.length > 500 ? `${line.slice(0, 500)}…` : line;
        tail.push(kept);
        if (tail.length > keep) tail.shift();
        opts.onOutput?.(kept);
      }
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, args, {
        cwd: opts.cwd,
        env: opts.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      resolve({ code: null, signal: null, timedOut: false, outputTail: [String(err)], stdout: '' });
      return;
    }
    if (child.pid) opts.watch?.add(child.pid);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGKILL');
    }, opts.timeoutMs);
    child.stdout?.on('data', (c: Buffer) => {
      if (stdout.length < MAX_STDOUT) stdout += c.toString('utf8');
      push(c);
    });
    child.stderr?.on('data', push);
    child.on('error', (err) => tail.push(String(err)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup(child.pid, 'SIGKILL');
      if (child.pid) opts.watch?.remove(child.pid);
      resolve({ code, signal, timedOut, outputTail: tail, stdout });
    });
  });
}

/** Signals a whole process group; a group that is gone already is fine. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has exited.
  }
}
