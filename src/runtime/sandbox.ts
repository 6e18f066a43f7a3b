/**
 * @module bubblewrap sandbox for children (pure argument building). A sandboxed server sees a read-only
 * system (/usr and a short list of /etc files), its own package directory read-only, a private writable
 * home and /tmp, a fresh /proc of its own PID namespace and a minimal /dev. Nothing else of the store,
 * the gateway's files, configuration, logs or other children exists in its view. It dies with the
 * gateway (`--die-with-parent`), and its network can be cut per package (`--unshare-net`).
 */
import { runtimePrefix } from './runtime-reach.js';

/** What one sandboxed launch needs. */
export interface SandboxMounts {
  /** The package's installed files (read-only). */
  packageDir: string;
  /** The child's private home (read-write). */
  homeDir: string;
  /** The child's private temporary directory (read-write, also mounted at /tmp). */
  tmpDir: string;
  /** Directory holding the runtime (node) when it lives outside /usr (read-only). */
  runtimeDirs: readonly string[];
  /** Files or directories the operator adds read-only (e.g. a CA bundle). */
  extraReadOnly: readonly string[];
  network: boolean;
  /**
   * When set, HOME and /tmp are one tmpfs of this many bytes instead of the host directories (bubblewrap
   * 0.8+ `--size`): a write past it gets ENOSPC, and its pages count against the child's memory.
   */
  diskBytes?: number;
}

/** System paths at the root that Debian-like systems link into /usr (merged /usr). */
export const ROOT_LINKS = ['bin', 'sbin', 'lib', 'lib64', 'lib32', 'libx32'];

/** /etc entries servers need (name resolution, TLS roots, users, time zone, the dynamic linker). */
export const ETC_ENTRIES = [
  'resolv.conf',
  'hosts',
  'host.conf',
  'gai.conf',
  'nsswitch.conf',
  'passwd',
  'group',
  'ssl',
  'ca-certificates',
  'ca-certificates.conf',
  'pki',
  'localtime',
  'timezone',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'alternatives',
  'mime.types',
  'os-release',
  'protocols',
  'services',
];

/**
 * How the root entries look on this machine: a link into /usr (`--symlink`) or a real directory
 * (`--ro-bind-try`). `rootLinks` maps a name to its link target, as read at start-up.
 */
export function bwrapArgs(m: SandboxMounts, rootLinks: Readonly<Record<string, string>>): string[] {
  const a = [
    '--die-with-parent',
    '--unshare-user',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(m.network ? [] : ['--unshare-net']),
    '--hostname',
    'mcp-sandbox',
    '--ro-bind',
    '/usr',
    '/usr',
  ];
  for (const name of ROOT_LINKS) {
    const target = rootLinks[name];
    if (target) a.push('--symlink', target, `/${name}`);
    else a.push('--ro-bind-try', `/${name}`, `/${name}`);
  }
  for (const entry of ETC_ENTRIES) a.push('--ro-bind-try', `/etc/${entry}`, `/etc/${entry}`);
  a.push('--proc', '/proc', '--dev', '/dev');
  // /tmp first: later mounts may live below /tmp (test stores do) and must not be hidden by it.
  if (m.diskBytes) a.push('--size', String(m.diskBytes), '--tmpfs', '/tmp', '--dir', '/tmp/home');
  else a.push('--bind', m.tmpDir, '/tmp');
  for (const dir of m.runtimeDirs) a.push('--ro-bind', dir, dir);
  for (const p of m.extraReadOnly) a.push('--ro-bind-try', p, p);
  a.push('--ro-bind', m.packageDir, m.packageDir);
  // HOME and TMPDIR keep their paths (the child's environment names them), pointing into the tmpfs.
  if (m.diskBytes) a.push('--symlink', '/tmp/home', m.homeDir, '--symlink', '/tmp', m.tmpDir);
  else a.push('--bind', m.homeDir, m.homeDir, '--bind', m.tmpDir, m.tmpDir);
  // The root is a tmpfs bwrap builds the view in; read-only, so files cannot fill memory outside the
  // child's limits (only the mounts below it, home and tmp, stay writable).
  a.push('--remount-ro', '/');
  a.push('--chdir', m.homeDir);
  return a;
}

/** Install prefixes of runtime binaries outside /usr (which the sandbox mounts anyway), deduplicated. */
export function runtimeDirsFor(binaries: readonly string[]): string[] {
  const dirs = binaries
    .map((b) => runtimePrefix(b))
    .filter((d) => d !== '/usr' && !d.startsWith('/usr/') && d !== '/');
  return [...new Set(dirs)];
}
