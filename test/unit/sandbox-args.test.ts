/** The bubblewrap and prlimit arguments (pure) and the reading of a child's exit against its limits. */
import { describe, expect, it } from 'vitest';
import { limitHit, nodeHeapMb, prlimitArgs } from '../../src/runtime/resource-limits.js';
import { bwrapArgs, runtimeDirsFor } from '../../src/runtime/sandbox.js';

const mounts = {
  packageDir: '/tmp/gw/store/npm/x@1.0.0',
  homeDir: '/tmp/gw/run/x-1/home',
  tmpDir: '/tmp/gw/run/x-1/tmp',
  runtimeDirs: ['/opt/node'],
  extraReadOnly: ['/srv/ca.pem'],
  network: true,
};

/** Index of an option followed by its operands. */
function at(args: string[], ...seq: string[]): number {
  for (let i = 0; i < args.length; i++) if (seq.every((s, j) => args[i + j] === s)) return i;
  return -1;
}

describe('bubblewrap arguments', () => {
  it('isolates namespaces, dies with the gateway, and mounts only what the child needs', () => {
    const a = bwrapArgs(mounts, { bin: 'usr/bin', lib: 'usr/lib' });
    for (const opt of ['--die-with-parent', '--unshare-user', '--unshare-pid', '--unshare-ipc'])
      expect(a).toContain(opt);
    expect(a).not.toContain('--unshare-net');
    expect(at(a, '--ro-bind', '/usr', '/usr')).toBeGreaterThan(-1);
    expect(at(a, '--symlink', 'usr/bin', '/bin')).toBeGreaterThan(-1);
    expect(at(a, '--ro-bind-try', '/lib64', '/lib64')).toBeGreaterThan(-1); // not a link here
    expect(at(a, '--ro-bind', mounts.packageDir, mounts.packageDir)).toBeGreaterThan(-1);
    expect(at(a, '--ro-bind', '/opt/node', '/opt/node')).toBeGreaterThan(-1);
    expect(at(a, '--ro-bind-try', '/srv/ca.pem', '/srv/ca.pem')).toBeGreaterThan(-1);
    expect(at(a, '--bind', mounts.homeDir, mounts.homeDir)).toBeGreaterThan(-1);
    expect(a.filter((x) => x === '/etc')).toEqual([]); // never the whole of /etc
    expect(a.some((x) => x.includes('/etc/shadow'))).toBe(false);
  });

  it('mounts /tmp before the paths below it, and makes the root read-only last', () => {
    const a = bwrapArgs(mounts, {});
    const tmp = at(a, '--bind', mounts.tmpDir, '/tmp');
    expect(tmp).toBeGreaterThan(-1);
    expect(tmp).toBeLessThan(at(a, '--ro-bind', mounts.packageDir, mounts.packageDir));
    expect(tmp).toBeLessThan(at(a, '--bind', mounts.homeDir, mounts.homeDir));
    expect(at(a, '--remount-ro', '/')).toBeGreaterThan(at(a, '--bind', mounts.tmpDir, mounts.tmpDir));
  });

  it('makes HOME and /tmp one sized tmpfs when a disk cap is set, keeping their paths', () => {
    const a = bwrapArgs({ ...mounts, diskBytes: 512 * 1024 * 1024 }, {});
    const tmpfs = at(a, '--size', String(512 * 1024 * 1024), '--tmpfs', '/tmp');
    expect(tmpfs).toBeGreaterThan(-1);
    expect(tmpfs).toBeLessThan(at(a, '--ro-bind', mounts.packageDir, mounts.packageDir));
    expect(at(a, '--symlink', '/tmp/home', mounts.homeDir)).toBeGreaterThan(tmpfs);
    expect(at(a, '--symlink', '/tmp', mounts.tmpDir)).toBeGreaterThan(tmpfs);
    // No host directory is writable to the child then.
    expect(a.filter((x) => x === '--bind')).toEqual([]);
  });

  it('cuts the network when asked', () => {
    expect(bwrapArgs({ ...mounts, network: false }, {})).toContain('--unshare-net');
  });

  it('mounts runtime prefixes only outside /usr', () => {
    expect(runtimeDirsFor(['/usr/bin/node'])).toEqual([]);
    expect(runtimeDirsFor(['/does/not/exist/bin/node', '/does/not/exist/bin/python3'])).toEqual([
      '/does/not/exist',
    ]);
  });
});

describe('resource limits', () => {
  const limits = { memoryMb: 1024, openFiles: 256, processes: 64, cpuSeconds: 10, diskMb: 0 };
  it('builds prlimit options, with the process limit only inside a sandbox', () => {
    // Memory is never an address-space limit (V8 reserves gigabytes for WebAssembly); see memory-limit.ts.
    expect(prlimitArgs(limits, true)).toEqual(['--nofile=256', '--nproc=64', '--cpu=10:12']);
    expect(prlimitArgs(limits, false)).not.toContain('--nproc=64');
    expect(prlimitArgs({ ...limits, memoryMb: 0, openFiles: 0, processes: 0, cpuSeconds: 0 }, true)).toEqual(
      [],
    );
    // The disk cap's second guard sits just above the tmpfs, whose ENOSPC a writer meets first.
    expect(prlimitArgs({ ...limits, diskMb: 1 }, true)).toContain(`--fsize=${2 * 1024 * 1024}`);
    expect(nodeHeapMb(limits)).toBe(768);
    expect(nodeHeapMb({ ...limits, memoryMb: 0 })).toBeUndefined();
  });

  it('names the limit a stopped child hit', () => {
    expect(limitHit({ code: 152, signal: null }, '')).toBe('CPU time');
    expect(limitHit({ code: null, signal: 'SIGXCPU' }, '')).toBe('CPU time');
    expect(limitHit({ code: null, signal: 'SIGXFSZ' }, '')).toBe('disk');
    expect(limitHit({ code: 1, signal: null }, 'Error: ENOSPC: no space left on device, write')).toBe('disk');
    expect(limitHit({ code: 1, signal: null }, 'RangeError: Array buffer allocation failed')).toBe('memory');
    expect(
      limitHit(
        { code: 134, signal: null },
        'FATAL ERROR: Reached heap limit ... JavaScript heap out of memory',
      ),
    ).toBe('memory');
    expect(limitHit({ code: 1, signal: null }, 'Traceback ...\nMemoryError')).toBe('memory');
    // Node 24's wording, and the cgroup's OOM kill (no message at all).
    expect(limitHit({ code: 1, signal: null }, 'RangeError: Failed to allocate memory')).toBe('memory');
    expect(limitHit({ code: 1, signal: null }, "code: 'ERR_MEMORY_ALLOCATION_FAILED'")).toBe('memory');
    expect(limitHit({ code: 137, signal: null, oomKilled: true }, '')).toBe('memory');
    expect(limitHit({ code: 1, signal: null }, 'Error: EMFILE: too many open files')).toBe('open files');
    expect(limitHit({ code: 3, signal: null }, 'crashing on request')).toBeUndefined();
  });
});
