/**
 * @module CPU priority of children. Only as root: giving priority back (lowering niceness) needs
 * CAP_SYS_NICE, and a process that was lowered must be able to get its priority back.
 */
import os from 'node:os';

const CAN_RENICE = process.getuid?.() === 0;

/** Sets the niceness of `pid` (0 normal, 19 lowest); silently does nothing when it cannot. */
export function setNiceness(pid: number | undefined, niceness: number): void {
  if (!pid || !CAN_RENICE) return;
  try {
    os.setPriority(pid, niceness);
  } catch {
    // The child may have exited; priority only affects speed.
  }
}
