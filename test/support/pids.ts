/** Process liveness checks that treat zombies (exited, not yet reaped) as dead. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Pids of host processes whose command line holds `marker`. */
export function processesWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Waits until every pid is dead; resolves false after `timeoutMs`. */
export async function waitDead(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pids.every((p) => !isAlive(p))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return pids.every((p) => !isAlive(p));
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  stepMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return check();
}

const OWN_PID_NS = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
})();

/**
 * The host pid of a process that reported `pid` from inside PID namespace `pidNs` (a sandboxed child:
 * every sandbox numbers its processes from 1). Without a namespace, or in ours, the pid is the host's.
 */
export function hostPid(pid: number, pidNs: string | undefined): number {
  if (!pidNs || pidNs === OWN_PID_NS) return pid;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== pidNs) continue;
      const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]?.split(/\s+/);
      if (Number(nspid?.at(-1)) === pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no host process for pid ${pid} in ${pidNs}`);
}

/** A fixture's get_info answer with `pid` and `grandchild` translated to host pids. */
export function hostInfo(json: string): { pid: number; grandchild: number; [k: string]: any } {
  const info = JSON.parse(json);
  return {
    ...info,
    pid: hostPid(info.pid, info.pidNs),
    ...(info.grandchild ? { grandchild: hostPid(info.grandchild, info.pidNs) } : {}),
  };
}
