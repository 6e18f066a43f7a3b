/**
 * @module Spawns children in their own process group (so a server and every grandchild it starts can be
 * signalled together) and registers each group with the orphan reaper.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { OrphanReaper } from '../process/orphan-reaper.js';
import { killGroup } from '../process/run-command.js';
import type { NetworkAttachment } from './child-network.js';
import { CHILD_OOM_SCORE_ADJ, type ChildSandbox, type WrappedLaunch } from './child-sandbox.js';
import type { LaunchPlan } from './launch-plan.js';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  error?: string;
  /** The kernel's OOM killer ended it (or a process of its cgroup): it went over its memory limit. */
  oomKilled?: boolean;
}

/** A running child as the process manager sees it. */
export interface ChildHandle {
  pid: number | undefined;
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  exited: Promise<ChildExit>;
  /** Signals the child's whole process group. */
  signalGroup(signal: NodeJS.Signals): void;
  /** Kills whatever is left of the group (grandchildren) and stops watching it. Call once, after exit. */
  release(): void;
  /** Memory charged to the child's cgroup, bytes (one file read); undefined without a cgroup. */
  memoryBytes(): number | undefined;
}

export interface Spawner {
  spawn(plan: LaunchPlan, cwd: string): ChildHandle;
}

/** Longest wait for a child's remaining output after it exited, ms. */
const OUTPUT_DRAIN_MS = 250;

/** Resolves when every stream has ended, or after `ms`. */
function drained(streams: Readable[], ms: number): Promise<void> {
  const ended = streams.map(
    (s) => new Promise<void>((r) => (s.readableEnded || s.destroyed ? r() : s.once('close', () => r()))),
  );
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<void>((r) => {
    timer = setTimeout(r, ms);
  });
  return Promise.race([Promise.all(ended).then(() => undefined), cap]).finally(() => clearTimeout(timer));
}

/** The real spawner: no shell, own process group, pipes for stdio. */
export class ProcessGroupSpawner implements Spawner {
  constructor(
    private readonly reaper: OrphanReaper | null,
    private readonly sandbox: ChildSandbox | null = null,
  ) {}

  spawn(plan: LaunchPlan, cwd: string): ChildHandle {
    const launch: WrappedLaunch = this.sandbox ? this.sandbox.wrap(plan, cwd) : plan;
    const child = spawn(launch.command, launch.args, {
      cwd,
      env: plan.env,
      detached: true,
      // A gated child (its own network namespace) waits on fd 3 until its network is attached.
      stdio: launch.gated ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
      ...(launch.uid !== undefined ? { uid: launch.uid, gid: launch.gid } : {}),
    });
    const pid = child.pid;
    if (pid) this.reaper?.add(pid);
    // Without choom, the score is set right after the spawn (a grandchild forked before keeps 0).
    if (pid && !launch.command.endsWith('/choom'))
      void writeFile(`/proc/${pid}/oom_score_adj`, String(CHILD_OOM_SCORE_ADJ)).catch(() => undefined);
    let network: NetworkAttachment | undefined;
    let networkError: string | undefined;
    if (launch.gated && pid && this.sandbox) {
      const gate = child.stdio[3] as Duplex;
      gate.on('error', () => undefined);
      this.sandbox.network.attach(pid, gate).then(
        (attached) => {
          network = attached;
          if (child.exitCode !== null || child.signalCode !== null) attached.release();
        },
        (err: unknown) => {
          networkError = `its network namespace could not be set up: ${(err as Error).message}`;
          killGroup(pid, 'SIGKILL');
        },
      );
    }
    const exited = new Promise<ChildExit>((resolve) => {
      child.once('error', (err) => {
        if (!pid) resolve({ code: null, signal: null, error: err.message });
      });
      child.once('exit', (code, signal) => {
        network?.release();
        const exit = {
          code,
          signal,
          ...(launch.cgroup?.oomKilled() ? { oomKilled: true } : {}),
          ...(networkError ? { error: networkError } : {}),
        };
        // 'exit' can come before the last output is read: its final words (often the reason it quit)
        // must reach the tails first. A grandchild holding the pipes open cannot delay this long.
        void drained([child.stdout, child.stderr], OUTPUT_DRAIN_MS).then(() => resolve(exit));
      });
    });
    child.stdin.on('error', () => undefined);
    return {
      pid,
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      exited,
      signalGroup: (signal) => killGroup(pid, signal),
      memoryBytes: () => launch.cgroup?.memoryBytes(),
      release: () => {
        network?.release();
        killGroup(pid, 'SIGKILL');
        if (pid) this.reaper?.remove(pid);
        void launch.cgroup?.remove();
      },
    };
  }
}
