/**
 * @module The sandbox and limits every child is started with, detected once at start-up: bubblewrap when
 * it works here (or when required), resource limits through `prlimit`, and an unprivileged uid for the
 * children of a gateway that runs as root (so RLIMIT_NPROC applies and root's files stay out of reach).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildCgroup } from './child-cgroups.js';
import type { ChildNetwork, NetworkReport } from './child-network.js';
import type { LaunchPlan } from './launch-plan.js';
import { type MemoryLimit, type MemoryLimitReport, setprivPrefix } from './memory-limit.js';
import { prlimitArgs, type ResourceLimits } from './resource-limits.js';
import { bwrapArgs, ROOT_LINKS, runtimeDirsFor } from './sandbox.js';

export interface SandboxSettings extends ResourceLimits {
  mode: 'auto' | 'bwrap' | 'none';
  bwrapPath: string;
  childUid: number;
}

/** How children run, as /health reports it. */
export interface SandboxReport {
  mode: 'bwrap' | 'none';
  /** Why there is no sandbox (auto mode on a machine where bwrap is missing or does not work). */
  reason?: string;
  childUid: number | null;
  limits: ResourceLimits & {
    enforced: boolean;
    memory: MemoryLimitReport;
    /** How CHILD_DISK_MB is held: a tmpfs of that size (and RLIMIT_FSIZE), RLIMIT_FSIZE alone, or off. */
    disk: 'tmpfs' | 'rlimit-fsize' | 'off';
  };
  network: NetworkReport;
}

/** util-linux helpers the wrapper uses when present (absolute paths, or null). */
export interface LaunchTools {
  prlimit: string | null;
  setpriv: string | null;
  /** Sets the child's oom_score_adj before it starts. */
  choom: string | null;
}

/** The kernel's OOM killer takes a child before the gateway (proc(5), oom_score_adj: -1000..1000). */
export const CHILD_OOM_SCORE_ADJ = 1000;

/** What to exec for one child. */
export interface WrappedLaunch {
  command: string;
  args: string[];
  uid?: number;
  gid?: number;
  /** The child's own cgroup (memory and pids limits), when cgroups cap memory. */
  cgroup?: ChildCgroup;
  /** The child waits at a gate on fd 3 until `network.attach` gives it its network. */
  gated?: boolean;
}

/** Thrown when SANDBOX=bwrap and bubblewrap cannot run here. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
}

function which(bin: string): string | null {
  if (bin.includes('/')) return bin;
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', bin], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || null : null;
}

function readRootLinks(): Record<string, string> {
  const links: Record<string, string> = {};
  for (const name of ROOT_LINKS) {
    try {
      links[name] = readlinkSync(`/${name}`);
    } catch {
      // a real directory or absent: bound with --ro-bind-try
    }
  }
  return links;
}

export class ChildSandbox {
  private constructor(
    readonly report: SandboxReport,
    private readonly bwrap: string | null,
    private readonly tools: LaunchTools,
    private readonly limits: ResourceLimits,
    private readonly rootLinks: Record<string, string>,
    private readonly runtimeDirs: string[],
    private readonly memory: MemoryLimit,
    /** The children's network namespaces (attach gated children with it). */
    readonly network: ChildNetwork,
    /** HOME and /tmp as a tmpfs of this size, bytes (sandboxed children; bubblewrap 0.8+). */
    private readonly diskBytes: number | undefined,
  ) {}

  /**
   * Detects what works here. `mustReach` are directories a sandboxed child's mounts come from (store, run
   * dir); the probe mounts them, so a directory the child uid cannot traverse fails here, not per launch.
   * @throws SandboxUnavailableError when mode is bwrap and the probe fails.
   */
  static detect(
    s: SandboxSettings,
    runtimes: readonly string[],
    mustReach: readonly string[],
    memory: MemoryLimit,
    network: ChildNetwork,
  ): ChildSandbox {
    const runtimeDirs = runtimeDirsFor(runtimes);
    const tools: LaunchTools = {
      prlimit: which('prlimit'),
      setpriv: which('setpriv'),
      choom: which('choom'),
    };
    const prlimit = tools.prlimit;
    const uid = childUidFor(s);
    const rootLinks = readRootLinks();
    const limits: ResourceLimits = {
      memoryMb: s.memoryMb,
      openFiles: s.openFiles,
      processes: s.processes,
      cpuSeconds: s.cpuSeconds,
      diskMb: s.diskMb,
    };
    const bwrap = s.mode === 'none' ? null : which(s.bwrapPath);
    // Asked once: bubblewrap 0.8+ sizes a tmpfs (the disk cap); the probe mounts one too when it does.
    const tmpfs = s.diskMb > 0 && bwrap !== null && supportsSize(bwrap);
    const make = (mode: 'bwrap' | 'none', reason?: string) => {
      const diskBytes = mode === 'bwrap' && tmpfs ? s.diskMb * 1024 * 1024 : undefined;
      const disk = diskBytes ? 'tmpfs' : s.diskMb > 0 && prlimit ? 'rlimit-fsize' : 'off';
      return new ChildSandbox(
        {
          mode,
          ...(reason ? { reason } : {}),
          childUid: mode === 'bwrap' ? uid : null,
          limits: { ...limits, enforced: !!prlimit, memory: memory.report, disk },
          network: network.report,
        },
        mode === 'bwrap' ? bwrap : null,
        tools,
        limits,
        rootLinks,
        runtimeDirs,
        memory,
        network,
        diskBytes,
      );
    };
    if (s.mode === 'none') return make('none', 'SANDBOX=none');
    const failure = bwrap
      ? probe(bwrap, uid, rootLinks, mustReach, runtimeDirs, tmpfs)
      : `${s.bwrapPath} not found (Debian: apt-get install bubblewrap)`;
    if (!failure) return make('bwrap');
    if (s.mode === 'bwrap')
      throw new SandboxUnavailableError(`SANDBOX=bwrap but bubblewrap cannot run here: ${failure}`);
    return make('none', failure);
  }

  /** True when children run in bubblewrap. */
  get sandboxed(): boolean {
    return this.report.mode === 'bwrap';
  }

  /**
   * Wraps a plan: `[choom] [unshare + gate] [cgroup join] [setpriv] bwrap … -- prlimit … -- command args`
   * (without the sandbox, no bwrap). Hands the private directories to the child uid first.
   */
  wrap(plan: LaunchPlan, homeDir: string): WrappedLaunch {
    const inSandbox = this.sandboxed && plan.sandbox !== undefined;
    // Network for this child: its package's (SANDBOX_NO_NETWORK) unless CHILD_NETWORK=none.
    const online = (plan.sandbox?.network ?? true) && this.network.report.mode !== 'none';
    const prlimit = this.tools.prlimit;
    // RLIMIT_NPROC only inside a sandbox: outside, the kernel counts every process of the uid.
    const limits = prlimit ? [...prlimitArgs(this.limits, inSandbox), ...this.memory.prlimitArgs()] : [];
    const inner =
      limits.length > 0
        ? [prlimit as string, ...limits, '--', plan.command, ...plan.args]
        : [plan.command, ...plan.args];
    let argv = inner;
    let uid: number | null = null;
    if (inSandbox && plan.sandbox) {
      const tmpDir = plan.env.TMPDIR ?? homeDir;
      uid = this.report.childUid;
      if (uid !== null) handOver([homeDir, tmpDir], uid);
      const mounts = {
        packageDir: plan.sandbox.packageDir,
        homeDir,
        tmpDir,
        runtimeDirs: this.runtimeDirs,
        extraReadOnly: plan.sandbox.extraReadOnly,
        network: online,
        ...(this.diskBytes ? { diskBytes: this.diskBytes } : {}),
      };
      argv = [this.bwrap as string, ...bwrapArgs(mounts, this.rootLinks), '--', ...inner];
    }
    const joined = this.memory.wrap(argv, uid);
    argv = joined.argv;
    let spawnUid = uid !== null && !joined.dropsPrivileges ? uid : null;
    let gated = false;
    // Real launches get the network namespace (test plans without `sandbox` run as they are).
    if (plan.sandbox && this.network.wraps) {
      // The namespace is made as root: the drop to the child uid comes after it.
      if (spawnUid !== null && this.tools.setpriv) {
        argv = [...setprivPrefix(this.tools.setpriv, spawnUid), ...argv];
        spawnUid = null;
      }
      const net = this.network.wrap(argv, online);
      argv = net.argv;
      gated = net.gated;
    }
    if (this.tools.choom) argv = [this.tools.choom, '-n', String(CHILD_OOM_SCORE_ADJ), '--', ...argv];
    const [command, ...args] = argv as [string, ...string[]];
    return {
      command,
      args,
      ...(spawnUid !== null ? { uid: spawnUid, gid: spawnUid } : {}),
      ...(joined.cgroup ? { cgroup: joined.cgroup } : {}),
      ...(gated ? { gated } : {}),
    };
  }
}

/** True when this bubblewrap sizes a tmpfs (`--size`, bubblewrap 0.8+). */
function supportsSize(bwrap: string): boolean {
  const r = spawnSync(bwrap, ['--help'], { encoding: 'utf8', timeout: 10_000 });
  return /--size\b/.test(`${r.stdout}${r.stderr}`);
}

/** The uid sandboxed children run as: the configured one when the gateway is root, else its own (null). */
export function childUidFor(s: Pick<SandboxSettings, 'mode' | 'childUid'>): number | null {
  return process.getuid?.() === 0 && s.mode !== 'none' ? s.childUid : null;
}

/** Gives the child uid its private directories, and passage (not listing) through their parents. */
function handOver(dirs: readonly string[], uid: number): void {
  for (const dir of dirs) {
    chmodSync(path.dirname(dir), 0o711);
    chownSync(dir, uid, uid);
  }
}

/**
 * Runs `true` in a sandbox mounted like a child's: the first `mustReach` directory as its package, and a
 * private home and tmp made below the second (the run dir). Returns why it failed, or undefined.
 */
function probe(
  bwrap: string,
  uid: number | null,
  rootLinks: Record<string, string>,
  mustReach: readonly string[],
  runtimeDirs: string[],
  tmpfs: boolean,
): string | undefined {
  const [packageDir = '/usr', runDir = tmpdir()] = mustReach;
  const dir = mkdtempSync(path.join(runDir, '.sandbox-probe-'));
  try {
    chmodSync(dir, 0o711);
    const homeDir = path.join(dir, 'home');
    const tmpDir = path.join(dir, 'tmp');
    for (const d of [homeDir, tmpDir]) mkdirSync(d);
    if (uid !== null) handOver([homeDir, tmpDir], uid);
    const args = bwrapArgs(
      {
        packageDir,
        homeDir,
        tmpDir,
        runtimeDirs,
        extraReadOnly: [],
        network: true,
        ...(tmpfs ? { diskBytes: 1024 * 1024 } : {}),
      },
      rootLinks,
    );
    const r = spawnSync(bwrap, [...args, '--', 'true'], {
      encoding: 'utf8',
      timeout: 10_000,
      ...(uid !== null ? { uid, gid: uid } : {}),
    });
    if (r.status === 0) return undefined;
    return (r.stderr || r.error?.message || `exit ${r.status}`).trim().slice(0, 300);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
