/**
 * @module Chooses how a child's memory is capped, strongest first: a cgroup per child (memory really used,
 * plus a pids limit), else RLIMIT_DATA through `prlimit` (private writable memory; the address space V8
 * or the JVM only reserves does not count), else nothing. The choice is made once at start-up, probed with
 * a real child, and reported in /health. RLIMIT_AS is never used: it kills Node's fetch() (WebAssembly
 * reservations) long before any real memory is used.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { GatewayError } from '../errors/gateway-error.js';
import { findOwnCgroups } from './cgroup-paths.js';
import { CgroupHost, type ChildCgroup, readText } from './child-cgroups.js';

/** How memory is capped, as /health reports it. */
export type MemoryMechanism = 'cgroup-v2' | 'cgroup-v1' | 'rlimit-data' | 'off' | 'none';

export interface MemoryLimitReport {
  mechanism: MemoryMechanism;
  /** Why a stronger mechanism is not in force. */
  reason?: string;
  /** Memory of all children together, MiB (their parent cgroup's limit), where cgroups cap memory. */
  childrenMemoryMb?: number;
}

export interface MemoryLimitSettings {
  /** MiB per child; 0: off. */
  memoryMb: number;
  /** MiB for all children together; 0: the host's memory less a quarter (at least 1 GiB). */
  childrenMemoryMb: number;
  /** Processes and threads per child (pids.max under cgroups); 0: off. */
  processes: number;
  /** auto: cgroups when they work here, else RLIMIT_DATA; cgroup: required; rlimit: RLIMIT_DATA only. */
  mechanism: 'auto' | 'cgroup' | 'rlimit';
}

/** Thrown when CHILD_MEMORY_MECHANISM=cgroup and cgroups cannot be used here. */
export class MemoryLimitUnavailableError extends Error {
  override readonly name = 'MemoryLimitUnavailableError';
}

/**
 * The launcher prefix that moves the child into its cgroups before it execs anything (so no process of
 * the child ever runs outside them), then drops to the child uid with setpriv when the gateway is root.
 */
const JOIN =
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"';

export class MemoryLimit {
  private constructor(
    readonly report: MemoryLimitReport,
    private readonly host: CgroupHost | null,
    private readonly s: MemoryLimitSettings,
    private readonly setpriv: string | null,
  ) {}

  /**
   * Detects the strongest mechanism. `uid` is the uid children run as when the gateway is root (null:
   * the gateway's own); `setpriv` the util-linux binary that drops to it after the cgroup join.
   * @throws MemoryLimitUnavailableError when cgroups are required and unusable.
   */
  static async detect(
    s: MemoryLimitSettings,
    uid: number | null,
    tools: { prlimit: string | null; setpriv: string | null },
  ): Promise<MemoryLimit> {
    const rlimit = (reason?: string) =>
      tools.prlimit
        ? new MemoryLimit({ mechanism: 'rlimit-data', ...(reason ? { reason } : {}) }, null, s, null)
        : new MemoryLimit(
            { mechanism: 'none', reason: `${reason ? `${reason}; ` : ''}prlimit not found` },
            null,
            s,
            null,
          );
    if (s.memoryMb === 0) return new MemoryLimit({ mechanism: 'off' }, null, s, null);
    if (s.mechanism === 'rlimit') return rlimit('CHILD_MEMORY_MECHANISM=rlimit');
    const host = await tryCgroups(s, uid, tools.setpriv);
    if (typeof host !== 'string') {
      const mechanism = host.version === 2 ? 'cgroup-v2' : 'cgroup-v1';
      return new MemoryLimit(
        { mechanism, childrenMemoryMb: host.budgetMb },
        host,
        s,
        uid === null ? null : tools.setpriv,
      );
    }
    if (s.mechanism === 'cgroup')
      throw new MemoryLimitUnavailableError(
        `CHILD_MEMORY_MECHANISM=cgroup but cgroups cannot be used here: ${host}`,
      );
    return rlimit(host);
  }

  /**
   * Refuses a launch while the host's available memory is below one child's limit, where no cgroup
   * bounds the children together (RLIMIT_DATA caps each child, not their sum).
   * @throws GatewayError HOST_MEMORY_LOW
   */
  checkHeadroom(meminfo = readText('/proc/meminfo') ?? ''): void {
    if (this.host || this.s.memoryMb === 0) return;
    const availableMb = meminfoMb(meminfo, 'MemAvailable');
    if (availableMb === undefined || availableMb >= this.s.memoryMb) return;
    throw new GatewayError(
      'HOST_MEMORY_LOW',
      `The host has ${availableMb} MiB of memory available, less than one server may use (${this.s.memoryMb} MiB).`,
      { availableMb, childMemoryMb: this.s.memoryMb },
    );
  }

  /** `prlimit` arguments for memory (RLIMIT_DATA), when that is the mechanism. */
  prlimitArgs(): string[] {
    return this.report.mechanism === 'rlimit-data' ? [`--data=${this.s.memoryMb * 1024 * 1024}`] : [];
  }

  /**
   * Wraps an argv (already sandboxed and limited) so it starts inside a fresh child cgroup, dropping to
   * `uid` after the join. Without cgroups, returns the argv unchanged.
   */
  wrap(
    argv: string[],
    uid: number | null,
  ): { argv: string[]; cgroup?: ChildCgroup; dropsPrivileges: boolean } {
    if (!this.host) return { argv, dropsPrivileges: false };
    const cgroup = this.host.create(cgroupLimits(this.s));
    const drop = uid !== null && this.setpriv !== null;
    return {
      argv: joinArgv(cgroup, argv, drop ? { uid, setpriv: this.setpriv as string } : null),
      cgroup,
      dropsPrivileges: drop,
    };
  }

  /** Removes the cgroups that gateways killed earlier left behind (start-up). @returns how many. */
  sweep(): Promise<number> {
    return this.host?.sweep() ?? Promise.resolve(0);
  }

  /** Removes this gateway's cgroup directories (after every child stopped). */
  async close(): Promise<void> {
    await this.host?.close();
  }
}

/** A /proc/meminfo field in MiB (meminfo gives kB), or undefined. */
export function meminfoMb(meminfo: string, field: string): number | undefined {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1];
  return kb === undefined ? undefined : Math.floor(Number(kb) / 1024);
}

/** The children's budget, MiB: as configured, or the host's memory less a quarter (at least 1 GiB). */
export function childrenBudgetMb(configured: number, meminfo: string): number | undefined {
  if (configured > 0) return configured;
  const total = meminfoMb(meminfo, 'MemTotal');
  if (total === undefined) return undefined;
  return Math.max(256, total - Math.max(1024, Math.floor(total / 4)));
}

const cgroupLimits = (s: MemoryLimitSettings) => ({
  memoryBytes: s.memoryMb * 1024 * 1024,
  pids: s.processes,
});

/** The util-linux prefix that drops from root to `uid` (and its gid, no supplementary groups). */
export function setprivPrefix(setpriv: string, uid: number): string[] {
  return [setpriv, `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--'];
}

/** `argv` started inside `cgroup`, as `as.uid` when given. */
function joinArgv(
  cgroup: ChildCgroup,
  argv: string[],
  as: { uid: number; setpriv: string } | null,
): string[] {
  const drop = as ? setprivPrefix(as.setpriv, as.uid) : [];
  return [
    '/bin/sh',
    '-c',
    JOIN,
    'sh',
    String(cgroup.procsFiles.length),
    ...cgroup.procsFiles,
    ...drop,
    ...argv,
  ];
}

/** Sets cgroups up and starts `true` through the join (and setpriv) exactly as a child would start. */
async function tryCgroups(
  s: MemoryLimitSettings,
  uid: number | null,
  setpriv: string | null,
): Promise<CgroupHost | string> {
  if (uid !== null && !setpriv)
    return 'setpriv (util-linux) not found, needed to start children as another uid';
  const own = findOwnCgroups(
    readText('/proc/self/cgroup') ?? '',
    readText('/proc/self/mountinfo') ?? '',
    (dir) => readText(path.join(dir, 'cgroup.controllers')),
  );
  const host = CgroupHost.setup(own, childrenBudgetMb(s.childrenMemoryMb, readText('/proc/meminfo') ?? ''));
  if (typeof host === 'string') return host;
  let cgroup: ChildCgroup | undefined;
  try {
    cgroup = host.create(cgroupLimits(s));
    const argv = joinArgv(cgroup, ['true'], uid !== null && setpriv ? { uid, setpriv } : null);
    const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) return host;
    await host.close();
    return `joining a child cgroup failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().slice(0, 200)}`;
  } catch (err) {
    await host.close();
    return `creating a child cgroup failed: ${(err as Error).message}`;
  } finally {
    await cgroup?.remove();
  }
}
