/**
 * @module Per-child resource limits (pure): open files, processes and CPU time, set with util-linux
 * `prlimit` in front of the server command (no shell); memory is capped by `memory-limit.ts` (a cgroup, or
 * RLIMIT_DATA). Node servers also get a V8 heap limit below the memory cap, so a leaking heap fails with
 * a clear "heap out of memory" instead of a kill.
 */

export interface ResourceLimits {
  /** Memory per child, MiB (enforced by `MemoryLimit`); 0: off. */
  memoryMb: number;
  /** Open files; 0: off. */
  openFiles: number;
  /** Processes and threads (RLIMIT_NPROC); 0: off. Counted per user, so only set inside a sandbox. */
  processes: number;
  /** CPU seconds; 0: off. */
  cpuSeconds: number;
  /** Disk per child, MiB (its tmpfs; RLIMIT_FSIZE a little above, so the tmpfs's ENOSPC comes first); 0: off. */
  diskMb: number;
}

/** RLIMIT_FSIZE over the disk cap, bytes: a file may not grow past the cap, plus this slack. */
const FSIZE_SLACK = 1024 * 1024;

/** `prlimit` arguments for the limits (empty when every limit is off). */
export function prlimitArgs(l: ResourceLimits, withProcesses: boolean): string[] {
  const args: string[] = [];
  if (l.openFiles > 0) args.push(`--nofile=${l.openFiles}`);
  if (withProcesses && l.processes > 0) args.push(`--nproc=${l.processes}`);
  // Soft below hard: the soft limit sends SIGXCPU (a recognisable end), the hard one SIGKILL.
  if (l.cpuSeconds > 0) args.push(`--cpu=${l.cpuSeconds}:${l.cpuSeconds + 2}`);
  // A second guard on disk, also without the sandbox: no file the child writes grows past the cap.
  if (l.diskMb > 0) args.push(`--fsize=${l.diskMb * 1024 * 1024 + FSIZE_SLACK}`);
  return args;
}

/** The V8 old-space limit for a Node child: three quarters of its memory cap, MiB (undefined: off). */
export function nodeHeapMb(l: ResourceLimits): number | undefined {
  return l.memoryMb > 0 ? Math.max(64, Math.floor(l.memoryMb * 0.75)) : undefined;
}

/** Text in a stopped child's stderr that says which limit it hit. */
const LIMIT_SIGNS: Array<[RegExp, string]> = [
  [
    // Node 20-24 (V8 and ERR_MEMORY_ALLOCATION_FAILED), Python, C/C++ runtimes.
    /heap out of memory|Fatal process out of memory|Failed to (?:allocate|reserve) (?:virtual )?memory|ERR_MEMORY_ALLOCATION_FAILED|MemoryError|Cannot allocate memory|ENOMEM|Array buffer allocation failed|std::bad_alloc/i,
    'memory',
  ],
  [/EMFILE|Too many open files/i, 'open files'],
  [/ENOSPC|No space left on device|EFBIG|File too large/i, 'disk'],
  [/EAGAIN.*(?:spawn|fork)|Resource temporarily unavailable|Cannot fork|BlockingIOError/i, 'processes'],
];

/**
 * Which limit a child's exit points to, or undefined: the cgroup's OOM kill is memory, SIGXCPU (or 128+24
 * through the sandbox) is CPU time; otherwise the output tail names the resource.
 */
export function limitHit(
  exit: { code: number | null; signal: string | null; oomKilled?: boolean },
  stderrTail: string,
): string | undefined {
  if (exit.oomKilled) return 'memory';
  if (exit.signal === 'SIGXCPU' || exit.code === 128 + 24) return 'CPU time';
  if (exit.signal === 'SIGXFSZ' || exit.code === 128 + 25) return 'disk';
  for (const [re, what] of LIMIT_SIGNS) if (re.test(stderrTail)) return what;
  return undefined;
}
