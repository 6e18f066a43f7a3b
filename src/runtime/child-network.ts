/**
 * @module A network namespace of its own for each child, so that its code cannot reach the host's
 * loopback (the gateway, its cluster address, Redis, any local service) or the private world around a
 * cloud host (metadata at 169.254.169.254, the provider's private network). The child starts under
 * `unshare --net --mount` and waits at a gate (a socket on fd 3) while the gateway, as root:
 * 1. gives it a resolv.conf naming slirp's DNS forwarder (a bind mount in its private mount namespace);
 * 2. starts slirp4netns for it (user-mode TCP/IP: outbound connections are made by slirp4netns on the
 *    host, so the child needs no route, bridge or NAT of the host's), sandboxed and seccomp-filtered,
 *    with host loopback off unless CHILD_HOST_PORTS lists ports;
 * 3. installs the namespace's firewall (`network-rules.ts`) with nft through nsenter;
 * then opens the gate. The namespace belongs to the host's user namespace, so the child, which runs as
 * another uid in a user namespace of its own (bubblewrap), holds no capability over it and cannot undo
 * any of it. Detected once at start-up with a real probe; /health reports the mode.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { childRuleset, type NetworkRuleSettings, SLIRP } from './network-rules.js';

/** What children get: a namespace of their own with the public internet, the host's network, or none. */
export type NetworkMode = 'isolated' | 'host' | 'none';

export interface ChildNetworkSettings extends NetworkRuleSettings {
  /** auto: isolated where it works here, else host with a warning; isolated: required; host; none. */
  mode: 'auto' | 'isolated' | 'host' | 'none';
}

/** How children's network is set up, as /health reports it. */
export interface NetworkReport {
  mode: NetworkMode;
  /** Why children share the host's network (auto mode where no namespace can be made). */
  reason?: string;
  hostPorts: readonly number[];
  allowNets: readonly string[];
}

/** Tools the namespace needs (absolute paths, or null when missing). */
export interface NetworkTools {
  unshare: string | null;
  nsenter: string | null;
  slirp4netns: string | null;
  nft: string | null;
}

/** Thrown when CHILD_NETWORK=isolated and no namespace can be made here. */
export class NetworkUnavailableError extends Error {
  override readonly name = 'NetworkUnavailableError';
}

/** A child's network, once attached: stops its slirp4netns. */
export interface NetworkAttachment {
  release(): void;
}

/**
 * Runs first in the child's new namespaces (as root): binds the resolv.conf, tells the gateway it is
 * there ("r" on fd 3), waits for "go", closes the gate and execs the rest (cgroup join, uid drop, sandbox).
 */
const GATE =
  'mount --bind "$1" /etc/resolv.conf || exit 125; shift; echo r >&3; read -r go <&3 || exit 125; exec 3<&-; [ "$go" = go ] || exit 125; exec "$@"';

/** Longest wait for each setup step (a loaded machine takes tens of ms), ms. */
const STEP_TIMEOUT_MS = 15_000;

/** Resolves with the first chunk `stream` sends, rejects on end or after `ms`. */
function firstData(stream: Duplex | NodeJS.ReadableStream, ms: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${what}: no answer within ${ms} ms`)), ms);
    const onData = (b: Buffer) => done(undefined, b.toString());
    const onEnd = () => done(new Error(`${what}: closed before it was ready`));
    function done(err?: Error, data?: string) {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      if (err) reject(err);
      else resolve(data as string);
    }
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('close', onEnd);
  });
}

/** Runs `argv` with `input` on stdin; rejects with its stderr when it fails. */
function run(argv: string[], input: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS);
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${what}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${what} failed (${code}): ${stderr.trim().slice(0, 300)}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

export class ChildNetwork {
  private constructor(
    readonly report: NetworkReport,
    private readonly tools: NetworkTools,
    private readonly resolvConf: string,
    private readonly ruleset: string,
  ) {}

  /**
   * Decides the mode, probing a real namespace (gate, slirp4netns, rules) when it may be isolated.
   * `runDir` holds the children's resolv.conf. @throws NetworkUnavailableError (CHILD_NETWORK=isolated)
   */
  static async detect(s: ChildNetworkSettings, tools: NetworkTools, runDir: string): Promise<ChildNetwork> {
    const base = { hostPorts: s.hostPorts, allowNets: s.allowNets };
    const resolvConf = path.join(runDir, 'resolv.conf');
    const make = (mode: NetworkMode, reason?: string) =>
      new ChildNetwork({ mode, ...(reason ? { reason } : {}), ...base }, tools, resolvConf, childRuleset(s));
    if (s.mode === 'host' || s.mode === 'none') return make(s.mode);
    const missing = Object.entries(tools)
      .filter(([, p]) => !p)
      .map(([name]) => name);
    let failure: string | undefined;
    if (process.getuid?.() !== 0)
      failure = 'the gateway does not run as root (a namespace needs CAP_SYS_ADMIN)';
    else if (missing.length > 0)
      failure = `${missing.join(', ')} not found (Debian: apt-get install slirp4netns nftables util-linux)`;
    else {
      writeFileSync(resolvConf, `nameserver ${SLIRP.dns}\n`);
      chmodSync(resolvConf, 0o644);
      failure = await make('isolated').probe();
    }
    if (!failure) return make('isolated');
    if (s.mode === 'isolated')
      throw new NetworkUnavailableError(
        `CHILD_NETWORK=isolated but no namespace can be made here: ${failure}`,
      );
    return make('host', failure);
  }

  /** True when children start in namespaces of their own (`wrap`): isolated, or none as root. */
  get wraps(): boolean {
    return (
      this.report.mode === 'isolated' ||
      (this.report.mode === 'none' && this.tools.unshare !== null && process.getuid?.() === 0)
    );
  }

  /**
   * Wraps an argv (as root; it drops privileges itself) so that it starts in new network and mount
   * namespaces: gated and attached for the internet (`online`), or with only its own loopback.
   * @returns the argv and whether the caller must `attach` it (fd 3 is then the gate).
   */
  wrap(argv: readonly string[], online: boolean): { argv: string[]; gated: boolean } {
    const unshare = this.tools.unshare as string;
    if (!online || this.report.mode === 'none')
      return { argv: [unshare, '--net', '--', ...argv], gated: false };
    return {
      argv: [unshare, '--net', '--mount', '--', '/bin/sh', '-c', GATE, 'sh', this.resolvConf, ...argv],
      gated: true,
    };
  }

  /**
   * Gives the gated child `pid` its network, then opens its gate. @throws when any step fails (the
   * caller kills the child; slirp4netns is stopped here).
   */
  async attach(pid: number, gate: Duplex): Promise<NetworkAttachment> {
    const ready = await firstData(gate, STEP_TIMEOUT_MS, 'the child namespace');
    if (!ready.startsWith('r')) throw new Error('the child namespace sent no ready mark');
    const slirp = await this.startSlirp(pid);
    try {
      const setup = `${this.report.hostPorts.length > 0 ? 'echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet && ' : ''}exec "$0" -f -`;
      await run(
        [
          this.tools.nsenter as string,
          `--net=/proc/${pid}/ns/net`,
          '--',
          '/bin/sh',
          '-c',
          setup,
          this.tools.nft as string,
        ],
        this.ruleset,
        'nft',
      );
      gate.write('go\n');
    } catch (err) {
      slirp.kill('SIGKILL');
      throw err;
    }
    return { release: () => slirp.kill('SIGKILL') };
  }

  /** Starts slirp4netns for `pid`'s namespace; resolves once the tap device is configured. */
  private async startSlirp(pid: number): Promise<ChildProcess> {
    const args = [
      '--configure',
      '--mtu=65520',
      '--enable-sandbox',
      '--enable-seccomp',
      ...(this.report.hostPorts.length > 0 ? [] : ['--disable-host-loopback']),
      // fd 3: '1' once configured; fd 4: its end closes when the gateway dies, and slirp4netns exits.
      '--ready-fd=3',
      '--exit-fd=4',
      String(pid),
      SLIRP.device,
    ];
    const slirp = spawn(this.tools.slirp4netns as string, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    slirp.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString().slice(0, 500);
    });
    slirp.on('error', () => undefined);
    try {
      await firstData(slirp.stdio[3] as Duplex, STEP_TIMEOUT_MS, 'slirp4netns');
    } catch (err) {
      slirp.kill('SIGKILL');
      throw new Error(`${(err as Error).message} ${stderr.trim()}`.trim());
    }
    return slirp;
  }

  /** Starts `true` through the whole setup, as a child would start. @returns why it failed, or undefined. */
  private async probe(): Promise<string | undefined> {
    const { argv } = this.wrap(['/bin/true'], true);
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    child.on('error', () => undefined);
    try {
      const attached = await this.attach(child.pid as number, child.stdio[3] as Duplex);
      const code = await exited;
      attached.release();
      return code === 0 ? undefined : `the probe exited ${code}: ${stderr.trim().slice(0, 200)}`;
    } catch (err) {
      child.kill('SIGKILL');
      return `${(err as Error).message} ${stderr.trim().slice(0, 200)}`.trim();
    }
  }
}
