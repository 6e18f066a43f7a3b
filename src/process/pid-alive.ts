/** @module Whether a process id is alive in this PID namespace (signal 0: no signal is sent). */

/** True when `pid` exists here; EPERM (another user's process) counts as alive. */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
