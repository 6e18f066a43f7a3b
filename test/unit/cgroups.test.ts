/**
 * Finding this process's cgroups from /proc text, and the v2 set-up (leaf move, subtree controllers, child
 * limits, OOM reading, sweep) against a directory laid out like a delegated cgroupfs. The v1 path runs for
 * real in the integration suites (this machine offers cgroup v1 memory to root).
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupMounts, findOwnCgroups } from '../../src/runtime/cgroup-paths.js';
import { CgroupHost } from '../../src/runtime/child-cgroups.js';

const HYBRID_MOUNTINFO = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');
const HYBRID_CGROUP = '9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n0::/\n';

describe('findOwnCgroups', () => {
  it('parses cgroup mounts, octal escapes included', () => {
    const m = cgroupMounts('40 31 0:37 /a\\040b /sys/fs/cgroup/x rw - cgroup cgroup rw,memory');
    expect(m).toEqual([
      { root: '/a b', mountPoint: '/sys/fs/cgroup/x', fsType: 'cgroup', superOptions: ['rw', 'memory'] },
    ]);
  });

  it('picks v1 memory and pids on a hybrid host whose v2 tree offers no memory', () => {
    expect(findOwnCgroups(HYBRID_CGROUP, HYBRID_MOUNTINFO, () => 'hugetlb')).toEqual({
      version: 1,
      memoryDir: '/sys/fs/cgroup/memory/process_api/abc',
      pidsDir: '/sys/fs/cgroup/pids',
    });
  });

  it('prefers v2 when the unified tree offers memory (a delegated service or container)', () => {
    const mountinfo = '30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate';
    const own = '0::/system.slice/mcp.service\n';
    expect(findOwnCgroups(own, mountinfo, () => 'cpu memory pids')).toEqual({
      version: 2,
      dir: '/sys/fs/cgroup/system.slice/mcp.service',
    });
  });

  it('maps a container that mounts only its own sub-tree', () => {
    const mountinfo = '30 23 0:26 /docker/c1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw';
    expect(findOwnCgroups('0::/docker/c1\n', mountinfo, () => 'memory pids')).toEqual({
      version: 2,
      dir: '/sys/fs/cgroup',
    });
  });

  it('says why when there is nothing to use', () => {
    const v2only = '30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw';
    expect(findOwnCgroups('0::/user.slice\n', v2only, () => 'cpu')).toMatchObject({
      version: 0,
      reason: expect.stringMatching(/not delegated/),
    });
    expect(findOwnCgroups('', '', () => undefined)).toMatchObject({ version: 0 });
  });
});

describe('CgroupHost on a delegated cgroup v2 directory', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A directory shaped like a delegated cgroup: controllers offered, this process inside. */
  const delegated = () => {
    root = mkdtempSync(path.join(tmpdir(), 'cgroupfs-'));
    writeFileSync(path.join(root, 'cgroup.controllers'), 'cpu memory pids\n');
    writeFileSync(path.join(root, 'cgroup.subtree_control'), '');
    writeFileSync(path.join(root, 'cgroup.procs'), `${process.pid}\n`);
    return root;
  };

  it('moves its processes into a leaf, enables memory and pids, and limits each child', async () => {
    const dir = delegated();
    const host = CgroupHost.setup({ version: 2, dir }, undefined, 4242);
    if (typeof host === 'string') throw new Error(host);
    expect(readFileSync(path.join(dir, 'mcp-registry-gateway/cgroup.procs'), 'utf8')).toBe(
      String(process.pid),
    );
    expect(readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8')).toBe('+memory +pids');
    const base = readdirSync(dir).find((d) => /^mcp-registry-4242-[0-9a-f]{8}$/.test(d)) ?? 'missing';
    expect(readFileSync(path.join(dir, base, 'cgroup.subtree_control'), 'utf8')).toBe('+memory +pids');
    const child = host.create({ memoryBytes: 256 * 1024 * 1024, pids: 64 });
    const childDir = path.join(dir, base, 'c1');
    expect(child.procsFiles).toEqual([path.join(childDir, 'cgroup.procs')]);
    expect(readFileSync(path.join(childDir, 'memory.max'), 'utf8')).toBe(String(256 * 1024 * 1024));
    expect(readFileSync(path.join(childDir, 'memory.swap.max'), 'utf8')).toBe('0');
    expect(readFileSync(path.join(childDir, 'pids.max'), 'utf8')).toBe('64');
    writeFileSync(path.join(childDir, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\n');
    expect(child.oomKilled()).toBe(false);
    writeFileSync(path.join(childDir, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n');
    expect(child.oomKilled()).toBe(true);
    writeFileSync(path.join(childDir, 'memory.current'), '1048576\n');
    expect(child.memoryBytes()).toBe(1048576);
  });

  it('sweeps what a dead gateway left and spares a live one', async () => {
    const dir = delegated();
    // A pid that cannot be alive (above pid_max) and our own, alive.
    const dead = 'mcp-registry-99999999-0badc0de';
    const live = `mcp-registry-${process.pid}-1ee71ee7`;
    for (const name of [dead, live]) mkdirSync(path.join(dir, name));
    const host = CgroupHost.setup({ version: 2, dir }, undefined, process.pid);
    if (typeof host === 'string') throw new Error(host);
    expect(await host.sweep()).toBe(1);
    expect(existsSync(path.join(dir, dead))).toBe(false);
    expect(existsSync(path.join(dir, live))).toBe(true);
  });
});
