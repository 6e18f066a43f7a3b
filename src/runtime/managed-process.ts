/**
 * @module One MCP server child: spawn, the initialize handshake under a startup timeout, ping, and a staged
 * stop (close stdin, SIGTERM, SIGKILL to the whole group). It reports unexpected exits to its owner,
 * which decides about restarts.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { isSpecType, type JSONRPCMessage } from '@modelcontextprotocol/server';
import { GatewayError } from '../errors/gateway-error.js';
import type { ChildOutputLog } from '../observability/child-output-log.js';
import type { Logger } from '../observability/logger.js';
import { JsonRpcCode, RpcRequestError } from '../protocol/rpc-errors.js';
import { StdioChannel } from '../protocol/stdio-channel.js';
import { CHILD_DEFAULT_VERSION, type ClientProfile } from '../protocol/versions.js';
import type { LaunchPlan } from './launch-plan.js';
import { LineRing } from './line-ring.js';
import { groupRssBytes } from './process-memory.js';
import { setNiceness } from './process-priority.js';
import type { ChildExit, ChildHandle, Spawner } from './spawner.js';

export type ProcessStatus = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'failed';

export interface ProcessTimings {
  startupTimeoutMs: number;
  stopGraceMs: number;
  stderrTailLines: number;
}

export interface ManagedProcessDeps {
  spawner: Spawner;
  logger: Logger;
  mask: (s: string) => string;
  timings: ProcessTimings;
  /** Directory for this process's private HOME and TMPDIR. */
  runDir: string;
  clientInfo: { name: string; version: string };
  /** Keeps the child's output (stderr, and stdout that is not JSON-RPC) for operators. */
  outputLog?: ChildOutputLog;
  /** What the child's initialize declares (revision, client capabilities); default: latest, none. */
  profile?: ClientProfile;
  /** Called when the child exits without being asked to. */
  onUnexpectedExit: (p: ManagedProcess, exit: ChildExit) => void;
}

/** The relay attached to a process: it receives what the server sends on its own. */
export interface ProcessClient {
  /** Relayed requests the server has not answered (what makes a process busy). */
  readonly inFlight: number;
  /** A request or notification of the server's, or a response to a relayed request. */
  onMessage(message: JSONRPCMessage): void;
  /** The server exited unexpectedly; in-flight requests must fail now. */
  onCrash(reason: string, stderrTail: string[]): void;
  /** The server was restarted after a crash and answered the gateway's initialize. */
  onRestarted(): void;
}

/** What the initialize handshake told us about the server. */
export interface ServerIdentity {
  serverInfo?: { name?: string; version?: string };
  protocolVersion?: string;
  capabilities?: Record<string, unknown>;
  instructions?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves true when `p` settles within `ms`, false otherwise; the timer is always cleared. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export type { ChildOutputLog };

export class ManagedProcess {
  status: ProcessStatus = 'starting';
  pid: number | undefined;
  readonly createdAt = Date.now();
  startedAt = 0;
  lastActivity = Date.now();
  restarts = 0;
  failure: string | undefined;
  /** CPU niceness applied right after each spawn (warm spares wait at a low priority). */
  niceness = 0;
  identity: ServerIdentity = {};
  /** The server's stderr, masked. */
  readonly stderr: LineRing;
  /**
   * Lines it wrote on stdout that are not JSON-RPC (servers that log, or print their fatal error, there:
   * `@twilio-alpha/mcp` prints `{"level":"error","msg":"Invalid AccountSid"}`), masked, kept apart.
   */
  readonly stdoutNoise: LineRing;
  private handle: ChildHandle | undefined;
  private channel: StdioChannel | undefined;
  private exited: Promise<ChildExit> | undefined;
  private client: ProcessClient | null = null;

  constructor(
    readonly id: string,
    readonly plan: LaunchPlan,
    private readonly deps: ManagedProcessDeps,
  ) {
    this.stderr = new LineRing(deps.timings.stderrTailLines, deps.mask);
    this.stdoutNoise = new LineRing(deps.timings.stderrTailLines, deps.mask);
  }

  /** The last `n` lines of stderr and of the non-JSON-RPC stdout, for answers and listings. */
  outputTails(n = 20): { stderrTail: string[]; stdoutTail: string[] } {
    return { stderrTail: this.stderr.tail(n), stdoutTail: this.stdoutNoise.tail(n) };
  }

  get homeDir(): string {
    return path.join(this.deps.runDir, 'home');
  }

  /** Spawns the child and completes the MCP initialize handshake. @throws GatewayError SERVER_START_FAILED */
  async start(): Promise<void> {
    const tmp = path.join(this.deps.runDir, 'tmp');
    await mkdir(this.homeDir, { recursive: true, mode: 0o700 });
    await mkdir(tmp, { recursive: true, mode: 0o700 });
    const env = { ...this.plan.env, HOME: this.homeDir, TMPDIR: tmp };
    let handle: ChildHandle;
    try {
      handle = this.deps.spawner.spawn({ ...this.plan, env }, this.homeDir);
    } catch (err) {
      // The sandbox or the child's cgroup could not be set up: nothing was started.
      throw this.startError(err);
    }
    this.handle = handle;
    this.pid = handle.pid;
    if (this.niceness > 0) setNiceness(handle.pid, this.niceness);
    handle.stderr.on('data', (c: Buffer) => {
      const text = c.toString('utf8');
      this.stderr.push(text);
      this.deps.outputLog?.write('stderr', text);
    });
    const channel = new StdioChannel(handle.stdin, handle.stdout, {
      onMessage: (m) => this.onServerMessage(m),
      onJunk: (line) => {
        this.stdoutNoise.push(`${line}\n`);
        this.deps.outputLog?.write('stdout', `${line}\n`);
      },
    });
    this.channel = channel;
    const exited = handle.exited.then((e) => this.onExit(handle, channel, e));
    this.exited = exited;
    try {
      const result = await Promise.race([
        channel.request(
          'initialize',
          {
            protocolVersion: this.deps.profile?.protocolVersion ?? CHILD_DEFAULT_VERSION,
            capabilities: this.deps.profile?.capabilities ?? {},
            clientInfo: this.deps.clientInfo,
          },
          this.deps.timings.startupTimeoutMs,
        ),
        exited.then((e) => {
          throw new RpcRequestError('closed', describeExit(e), JsonRpcCode.ServerUnavailable);
        }),
      ]);
      channel.notify('notifications/initialized');
      this.identity = pickIdentity(result);
      this.status = 'running';
      this.startedAt = Date.now();
      if (this.restarts > 0) this.client?.onRestarted();
    } catch (err) {
      await this.kill();
      throw this.startError(err);
    }
  }

  private startError(err: unknown): GatewayError {
    const reason =
      err instanceof RpcRequestError && err.kind === 'timeout'
        ? `it did not answer the MCP initialize request within ${this.deps.timings.startupTimeoutMs} ms`
        : err instanceof RpcRequestError && err.kind === 'remote'
          ? `it answered initialize with an error: ${err.message}`
          : err instanceof Error
            ? err.message
            : String(err);
    return new GatewayError(
      'SERVER_START_FAILED',
      `The MCP server was installed but failed to start: ${reason.replace(/\.+$/, '')}.`,
      this.outputTails(),
      { cause: err },
    );
  }

  private async onExit(handle: ChildHandle, channel: StdioChannel, exit: ChildExit): Promise<ChildExit> {
    channel.close(`The MCP server exited (${describeExit(exit)}).`);
    // Grandchildren still in the group get a chance to end cleanly, then SIGKILL.
    handle.signalGroup('SIGTERM');
    await sleep(Math.min(this.deps.timings.stopGraceMs, 500));
    handle.release();
    if (this.status === 'running') {
      this.client?.onCrash(describeExit(exit), this.stderr.tail(20));
      this.deps.logger.warn(
        { processId: this.id, pid: handle.pid, exit, stderrTail: this.stderr.tail(5) },
        'MCP server exited unexpectedly',
      );
      this.deps.onUnexpectedExit(this, exit);
    }
    return exit;
  }

  /** Attaches the relay (or detaches with null). */
  attach(client: ProcessClient | null): void {
    this.client = client;
  }

  /** Sends a message to the server as is. Returns false when it is not running. */
  send(message: JSONRPCMessage): boolean {
    this.lastActivity = Date.now();
    return this.channel?.send(message) ?? false;
  }

  /**
   * Requests in flight, relayed (the relay's count: a cancelled request, which may never be answered,
   * no longer counts) or the gateway's own: a process with any is never reclaimed.
   */
  get inFlight(): number {
    return (this.client?.inFlight ?? 0) + (this.channel?.pendingCount ?? 0);
  }

  /**
   * Handles what the server sends on its own: its pings are answered here; everything else goes to the
   * attached session, and requests arriving with no session attached are refused.
   */
  private onServerMessage(m: JSONRPCMessage): void {
    this.lastActivity = Date.now();
    // JSON-RPC that is no MCP message (`@twilio-alpha/mcp` logs its fatal error as a request with method
    // "log") is shown with the stdout lines: it is often the only word on why a server quits.
    if ('method' in m && !isMcpServerMessage(m))
      this.stdoutNoise.push(`${JSON.stringify(m).slice(0, 2000)}\n`);
    if ('method' in m && 'id' in m && m.method === 'ping') {
      this.channel?.send({ jsonrpc: '2.0', id: m.id, result: {} });
      return;
    }
    if (this.client) {
      this.client.onMessage(m);
      return;
    }
    if (!('method' in m) || !('id' in m)) return;
    this.channel?.send({
      jsonrpc: '2.0',
      id: m.id,
      error: { code: JsonRpcCode.MethodNotFound, message: `No client is attached to answer ${m.method}.` },
    });
  }

  /** Sends a request of the gateway's own (health checks, tests). Rejects with RpcRequestError. */
  request(method: string, params: Record<string, unknown> | undefined, timeoutMs: number): Promise<unknown> {
    if (!this.channel)
      return Promise.reject(
        new RpcRequestError('closed', 'The MCP server is not running.', JsonRpcCode.ServerUnavailable),
      );
    return this.channel.request(method, params, timeoutMs);
  }

  /**
   * Memory of the server and its grandchildren, bytes: what its cgroup is charged (one file read) when it
   * has one, else the RSS of its process group from /proc. 0 when it is not running.
   */
  async memoryBytes(): Promise<number> {
    if (!this.handle?.pid || this.status === 'stopped' || this.status === 'failed') return 0;
    return this.handle.memoryBytes() ?? (await groupRssBytes(this.handle.pid));
  }

  /** MCP ping (spec: basic/utilities/ping). */
  async ping(timeoutMs: number): Promise<void> {
    await this.request('ping', undefined, timeoutMs);
  }

  /** Kills the group at once (failed start, hung server). Resolves after the exit is handled. */
  async kill(): Promise<void> {
    this.handle?.signalGroup('SIGKILL');
    if (this.exited) await within(this.exited, 5_000);
  }

  /** Stops in stages: close stdin, then SIGTERM, then SIGKILL, each after the grace period. */
  async stop(reason: string): Promise<void> {
    const exited = this.exited;
    const handle = this.handle;
    this.status = 'stopping';
    if (handle && exited) {
      this.channel?.close(`The MCP server was stopped (${reason}).`);
      handle.stdin.end();
      const grace = this.deps.timings.stopGraceMs;
      if (!(await within(exited, grace))) {
        handle.signalGroup('SIGTERM');
        if (!(await within(exited, grace))) {
          handle.signalGroup('SIGKILL');
          await within(exited, 5_000);
        }
      }
      await exited;
    }
    this.status = 'stopped';
    await rm(this.deps.runDir, { recursive: true, force: true }).catch(() => undefined);
    this.deps.logger.info({ processId: this.id, reason }, 'MCP server stopped');
  }

  /** Closes the file that keeps its output (the process is forgotten). */
  closeOutputLog(): void {
    this.deps.outputLog?.close();
  }

  /** Marks the process failed for good (restart budget spent). */
  markFailed(reason: string): void {
    this.status = 'failed';
    this.failure = reason;
  }
}

/** A request or notification an MCP server may send (the SDK's schemas; no narrowing of the caller's type). */
function isMcpServerMessage(m: unknown): boolean {
  return isSpecType.ServerRequest(m) || isSpecType.ServerNotification(m);
}

function describeExit(e: ChildExit): string {
  if (e.error) return `it could not be started: ${e.error}`;
  return e.signal ? `it was killed by ${e.signal}` : `it exited with code ${e.code}`;
}

function pickIdentity(result: unknown): ServerIdentity {
  const r = (result ?? {}) as ServerIdentity;
  return {
    serverInfo: r.serverInfo,
    protocolVersion: r.protocolVersion,
    capabilities: r.capabilities,
    ...(r.instructions ? { instructions: r.instructions } : {}),
  };
}

export { describeExit };
