/**
 * @module Where this process's cgroups live (pure): reads `/proc/self/cgroup` and `/proc/self/mountinfo`
 * text and returns the directories of its own memory and pids cgroups, for cgroup v2 (one unified
 * hierarchy) or v1 (one hierarchy per controller). See cgroups(7) and proc(5) "mountinfo".
 */

/** This process's own cgroup directories, as mounted here. */
export type OwnCgroups =
  | { version: 2; dir: string }
  | { version: 1; memoryDir: string; pidsDir: string | undefined }
  | { version: 0; reason: string };

interface Mount {
  /** The path inside the hierarchy that is mounted (field 4 of mountinfo). */
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** Undoes mountinfo's octal escapes (`\040` for a space). */
const unescapeOctal = (s: string) =>
  s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/** Parses the cgroup mounts of a mountinfo text. */
export function cgroupMounts(mountinfo: string): Mount[] {
  const out: Mount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const f = pre.split(' ');
    const [fsType = '', , superOpts = ''] = post.split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    out.push({
      root: unescapeOctal(f[3] ?? '/'),
      mountPoint: unescapeOctal(f[4] ?? ''),
      fsType,
      superOptions: superOpts.split(','),
    });
  }
  return out;
}

/** Joins a mount point and a cgroup path, allowing for a mount of a sub-tree (`root` other than `/`). */
function dirOf(m: Mount, cgroupPath: string): string | undefined {
  const root = m.root === '/' ? '' : m.root;
  if (root && cgroupPath !== root && !cgroupPath.startsWith(`${root}/`)) return undefined;
  const rest = cgroupPath.slice(root.length).replace(/^\/+/, '');
  return rest ? `${m.mountPoint}/${rest}` : m.mountPoint;
}

/**
 * Finds this process's memory (and pids) cgroup directories. Prefers v2 when the unified hierarchy is
 * mounted and offers the memory controller; else a v1 memory hierarchy.
 * @param procSelfCgroup text of /proc/self/cgroup
 * @param mountinfo text of /proc/self/mountinfo
 * @param v2Controllers reads `cgroup.controllers` of a v2 directory (undefined when unreadable)
 */
export function findOwnCgroups(
  procSelfCgroup: string,
  mountinfo: string,
  v2Controllers: (dir: string) => string | undefined,
): OwnCgroups {
  const mounts = cgroupMounts(mountinfo);
  const lines = procSelfCgroup
    .split('\n')
    .map((l) => /^(\d+):([^:]*):(.*)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null);
  const unified = lines.find((m) => m[1] === '0' && m[2] === '');
  const v2Mount = mounts.find((m) => m.fsType === 'cgroup2');
  if (unified && v2Mount) {
    const dir = dirOf(v2Mount, unified[3] ?? '/');
    if (dir && (v2Controllers(dir) ?? '').split(/\s+/).includes('memory')) return { version: 2, dir };
  }
  const v1 = (controller: string) => {
    const line = lines.find((m) => (m[2] ?? '').split(',').includes(controller));
    const mount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(controller));
    return line && mount ? dirOf(mount, line[3] ?? '/') : undefined;
  };
  const memoryDir = v1('memory');
  if (memoryDir) return { version: 1, memoryDir, pidsDir: v1('pids') };
  return {
    version: 0,
    reason: v2Mount
      ? 'the cgroup v2 hierarchy offers no memory controller to this process (not delegated)'
      : 'no cgroup memory controller is mounted',
  };
}
