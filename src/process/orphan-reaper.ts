/**
 * @module Guarantees that no child outlives the gateway, even when the gateway is killed with SIGKILL
 * (which no handler sees). One small `sh` watchdog, in its own process group, reads the process groups
 * of live children from a pipe; when the pipe closes because the gateway died, it kills those groups.
 */
import { type ChildProcess, spawn } from 'node:child_process';

/** The watchdog: `+PGID` adds, `-PGID` removes; on EOF every listed group gets SIGTERM, then SIGKILL. */
// POSIX sh (dash): `kill -SIG -PGID` signals a group; dash's kill builtin rejects a `--` separator.
const SCRIPT = `
trap '' INT HUP TERM
groups=""
while IFS= read -r line; do
  case "$line" in
    +*) groups="$groups \${line#+}" ;;
    -*) id="\${line#-}"; keep=""; for g in $groups; do [ "$g" = "$id" ] || keep="$keep $g"; done; groups="$keep" ;;
  esac
done
[ -z "$groups" ] && exit 0
for g in $groups; do kill -TERM "-$g" 2>/dev/null; done
sleep 1
for g in $groups; do kill -KILL "-$g" 2>/dev/null; done
`;

/** Something that keeps track of live process groups (to kill them if the gateway dies). */
export interface GroupWatch {
  add(pgid: number): void;
  remove(pgid: number): void;
}

export class OrphanReaper implements GroupWatch {
  private child: ChildProcess | null = null;
  private readonly groups = new Set<number>();
  private stopping = false;

  /** Starts the watchdog (idempotent). */
  start(): void {
    if (this.child || this.stopping) return;
    const child = spawn('/bin/sh', ['-c', SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    child.on('exit', () => {
      this.child = null;
      if (!this.stopping) {
        this.start();
        for (const g of this.groups) this.write(`+${g}`);
      }
    });
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    this.child = child;
  }

  private write(line: string): void {
    this.child?.stdin?.write(`${line}\n`);
  }

  /** The watchdog's pid (tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  add(pgid: number): void {
    this.groups.add(pgid);
    this.write(`+${pgid}`);
  }

  remove(pgid: number): void {
    if (this.groups.delete(pgid)) this.write(`-${pgid}`);
  }

  /** Ends the watchdog after a clean shutdown (children are already stopped). */
  stop(): void {
    this.stopping = true;
    this.child?.stdin?.end();
    this.child = null;
  }
}
