/**
 * @module A cgroup per child, so that memory limits count memory really used (RSS and page cache), not
 * address space: V8, the JVM and Go reserve far more than they touch (undici's WebAssembly parser alone
 * reserves about 10 GiB), which an RLIMIT_AS kills at start. Works on cgroup v2 where this process's
 * cgroup is delegated to it (systemd `Delegate=yes`, a container with a writable cgroup) and on cgroup v1
 * where the memory hierarchy is writable. Each gateway keeps its children below `mcp-registry-<pid>-<tag>`, so
 * start-up can sweep what a dead gateway left without touching a live neighbour's.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isPidAlive } from '../process/pid-alive.js';
import type { OwnCgroups } from './cgroup-paths.js';

/** Limits a child cgroup enforces. */
export interface CgroupLimits {
  /** memory.max / memory.limit_in_bytes, bytes. */
  memoryBytes: number;
  /** pids.max (processes and threads); 0: off. */
  pids: number;
}

/** One child's cgroup. */
export interface ChildCgroup {
  /** The `cgroup.procs` files the child's launcher writes its own pid to before it execs the server. */
  readonly procsFiles: string[];
  /** True when the kernel's OOM killer ended a process of this cgroup (it went over its memory limit). */
  oomKilled(): boolean;
  /** Memory charged to the cgroup, bytes; undefined when unreadable. */
  memoryBytes(): number | undefined;
  /** Kills whatever is left in it and removes it (retries while the kernel still tears processes down). */
  remove(): Promise<void>;
}

const PREFIX = 'mcp-registry-';
const MIB = 1024 * 1024;
/** `mcp-registry-<gateway pid>-<instance tag>`: the pid tells a dead gateway's directories apart. */
const BASE_NAME = /^mcp-registry-(\d+)-[0-9a-f]+$/;
/** A file's text, or undefined when it cannot be read (cgroup and /proc files come and go). */
export const readText = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};
/** Writes a cgroup file; `r+` for files that must already exist (never creates one). */
const tryWrite = (file: string, value: string, flag: 'w' | 'r+' = 'w'): boolean => {
  try {
    writeFileSync(file, value, { flag });
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function killMembers(dir: string): void {
  if (tryWrite(path.join(dir, 'cgroup.kill'), '1', 'r+')) return; // v2, Linux 5.14+
  for (const pid of (readText(path.join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function removeDir(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    killMembers(dir);
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') return;
    }
    await sleep(50);
  }
}

/** The cgroup directories this gateway creates children in, one per hierarchy (v1) or one (v2). */
export class CgroupHost {
  private next = 1;

  private constructor(
    readonly version: 1 | 2,
    /** Where child cgroups go: [memory (v1) or unified (v2), pids (v1, optional)]. */
    private readonly bases: { memory: string; pids: string | undefined },
    /** The limit of all children together (the base's own memory limit), MiB. */
    readonly budgetMb: number | undefined,
  ) {}

  /**
   * Prepares this gateway's cgroup directories. v2: a delegated cgroup whose subtree does not offer the
   * memory controller yet gets its processes moved into a leaf (`mcp-registry-gateway`) first, as the
   * "no internal processes" rule demands (cgroups(7)). @returns the host, or why cgroups cannot be used.
   */
  static setup(own: OwnCgroups, budgetMb?: number, gatewayPid = process.pid): CgroupHost | string {
    if (own.version === 0) return own.reason;
    // Several gateways may live in one process (tests) or one cgroup: each gets directories of its own.
    const name = `${PREFIX}${gatewayPid}-${randomBytes(4).toString('hex')}`;
    try {
      if (own.version === 2) {
        enableV2Controllers(own.dir);
        const base = path.join(own.dir, name);
        mkdirSync(base, { recursive: true });
        writeFileSync(path.join(base, 'cgroup.subtree_control'), controllersLine(own.dir));
        if (budgetMb) writeFileSync(path.join(base, 'memory.max'), String(budgetMb * MIB));
        return new CgroupHost(2, { memory: base, pids: undefined }, budgetMb);
      }
      const memory = path.join(own.memoryDir, name);
      mkdirSync(memory, { recursive: true });
      // v1 limits are hierarchical (memory.use_hierarchy is always 1 since Linux 5.x): the children's sum.
      if (budgetMb) {
        writeFileSync(path.join(memory, 'memory.limit_in_bytes'), String(budgetMb * MIB));
        tryWrite(path.join(memory, 'memory.memsw.limit_in_bytes'), String(budgetMb * MIB));
      }
      let pids: string | undefined;
      if (own.pidsDir) {
        pids = path.join(own.pidsDir, name);
        if (!tryMkdir(pids)) pids = undefined;
      }
      return new CgroupHost(1, { memory, pids }, budgetMb);
    } catch (err) {
      return `cannot create cgroups: ${(err as Error).message}`;
    }
  }

  /** Creates a child cgroup with the limits. @throws when the kernel refuses (callers fall back). */
  create(limits: CgroupLimits): ChildCgroup {
    const name = `c${this.next++}`;
    const dir = path.join(this.bases.memory, name);
    mkdirSync(dir);
    const dirs = [dir];
    if (this.version === 2) {
      writeFileSync(path.join(dir, 'memory.max'), String(limits.memoryBytes));
      tryWrite(path.join(dir, 'memory.swap.max'), '0');
      if (limits.pids > 0) tryWrite(path.join(dir, 'pids.max'), String(limits.pids));
    } else {
      writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      // Memory plus swap, where swap accounting is on: the limit cannot be dodged by swapping.
      tryWrite(path.join(dir, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
      if (this.bases.pids && limits.pids > 0) {
        const pidsDir = path.join(this.bases.pids, name);
        if (tryMkdir(pidsDir) && tryWrite(path.join(pidsDir, 'pids.max'), String(limits.pids)))
          dirs.push(pidsDir);
      }
    }
    const v2 = this.version === 2;
    return {
      procsFiles: dirs.map((d) => path.join(d, 'cgroup.procs')),
      oomKilled: () => {
        const text = readText(path.join(dir, v2 ? 'memory.events' : 'memory.oom_control')) ?? '';
        return Number(/^oom_kill (\d+)/m.exec(text)?.[1] ?? 0) > 0;
      },
      memoryBytes: () => {
        const v = readText(path.join(dir, v2 ? 'memory.current' : 'memory.usage_in_bytes'));
        return v === undefined ? undefined : Number(v.trim());
      },
      remove: async () => {
        await Promise.all(dirs.map(removeDir));
      },
    };
  }

  /** Removes this gateway's directories (shutdown). */
  async close(): Promise<void> {
    await Promise.all(
      [this.bases.memory, this.bases.pids].filter((d): d is string => !!d).map((d) => removeTree(d)),
    );
  }

  /**
   * Removes what gateways that are no longer alive left next to this one's directories (a gateway killed
   * with SIGKILL cannot clean up). A live neighbour's directories are left alone. @returns how many.
   */
  async sweep(): Promise<number> {
    let removed = 0;
    for (const base of [this.bases.memory, this.bases.pids]) {
      if (!base) continue;
      const parent = path.dirname(base);
      for (const entry of safeReaddir(parent)) {
        const pid = Number(BASE_NAME.exec(entry)?.[1]);
        if (!pid || isPidAlive(pid)) continue;
        await removeTree(path.join(parent, entry));
        removed++;
      }
    }
    return removed;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
}

async function removeTree(dir: string): Promise<void> {
  for (const child of safeReaddir(dir)) await removeDir(path.join(dir, child));
  await removeDir(dir);
}

function tryMkdir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

/** "+memory +pids" as far as the directory offers them. */
function controllersLine(dir: string): string {
  const offered = (readText(path.join(dir, 'cgroup.controllers')) ?? '').split(/\s+/);
  return ['memory', 'pids']
    .filter((c) => offered.includes(c))
    .map((c) => `+${c}`)
    .join(' ');
}

/** Makes `dir`'s subtree offer memory (and pids), moving its processes into a leaf first if needed. */
function enableV2Controllers(dir: string): void {
  const enabled = (readText(path.join(dir, 'cgroup.subtree_control')) ?? '').split(/\s+/);
  if (enabled.includes('memory')) return;
  const leaf = path.join(dir, `${PREFIX}gateway`);
  mkdirSync(leaf, { recursive: true });
  for (const pid of (readText(path.join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean))
    tryWrite(path.join(leaf, 'cgroup.procs'), pid);
  writeFileSync(path.join(dir, 'cgroup.subtree_control'), controllersLine(dir));
}
