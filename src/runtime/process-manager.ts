/**
 * @module Owns every MCP server child: reuse by configuration, the process limit, restarts with backoff,
 * idle cleanup, health checks (MCP ping) and shutdown. Timers are unref'd and cleared on shutdown.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../observability/logger.js';
import { ALONE, type HostSlots } from './capacity.js';
import { crashVerdict, pingOrKill } from './health-check.js';
import type { LaunchRequest } from './launch-request.js';
import { type ChildOutputLog, ManagedProcess, type ProcessTimings } from './managed-process.js';
import { ACTIVE_STATUSES, type GoneNotice, ProcessRoom } from './process-room.js';
import { SPARE_NICENESS, SparePool } from './spare-pool.js';
import type { Spawner } from './spawner.js';

export interface ProcessManagerSettings extends ProcessTimings {
  maxProcesses: number;
  /** A principal's fair share of maxProcesses while the gateway is full (0: half of it). */
  maxProcessesPerPrincipal: number;
  idleTimeoutMs: number;
  healthCheckIntervalMs: number;
  pingTimeoutMs: number;
  maxRestarts: number;
  restartBackoffMs: number;
  runDir: string;
  /** Spare processes kept per configuration for new sessions (0 disables the warm pool). */
  warmPoolSize: number;
}

export interface Acquired<M> {
  process: ManagedProcess;
  meta: M;
  reused: boolean;
}

interface Entry<M> {
  key: string;
  meta: M;
  process: ManagedProcess;
  ready: Promise<void>;
  /** The session that owns this process; undefined for shared processes and warm spares. */
  owner: string | undefined;
  /** Serves many clients (shared mode): never handed to a session as its own. */
  shared: boolean;
  principal: string;
  privileged: boolean;
}

export { type LaunchRequest, profiled } from './launch-request.js';
export { type GoneNotice, RECLAIMED_NOTICE } from './process-room.js';

export class ProcessManager<M = unknown> {
  private readonly byId = new Map<string, Entry<M>>();
  /** The unowned process per configuration that stdio requests reuse (and shared mode multiplexes). */
  private readonly byKey = new Map<string, Entry<M>>();
  /** Warm spares per configuration, for new isolated sessions. */
  private readonly spares = new SparePool<Entry<M>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private shuttingDown = false;
  private readonly goneListeners = new Set<(processId: string, notice?: GoneNotice) => void>();
  /** Who gives way at the limit, here and on the host's other gateways. */
  private readonly room: ProcessRoom<Entry<M>>;
  private readonly slots: HostSlots;

  constructor(
    private readonly s: ProcessManagerSettings,
    private readonly deps: {
      spawner: Spawner;
      logger: Logger;
      mask: (s: string) => string;
      clientInfo: { name: string; version: string };
      /** Called when a process is created and when it is forgotten (secret registration). */
      hooks?: {
        created?: (meta: M, processId: string) => void;
        removed?: (meta: M) => void;
        /** A process stopped on purpose (idle, request, reclaim, shutdown), with why. */
        stopped?: (meta: M, processId: string, reason: string) => void;
      };
      /** Opens the log that keeps a process's output (none: output is kept in memory only). */
      outputLog?: (processId: string) => ChildOutputLog;
      /** The other gateways on this host (cluster mode); none by default. */
      slots?: HostSlots;
      /** Throws when the host has no memory to spare for another child (RLIMIT fallback). */
      headroom?: () => void;
    },
  ) {
    this.slots = deps.slots ?? ALONE;
    this.room = new ProcessRoom(
      s,
      {
        entries: () => this.byId.values(),
        get: (id) => this.byId.get(id),
        isSpare: (e) => this.spares.has(e.key, e),
        stop: (e, reason, notice) => this.stopEntry(e, reason, notice),
      },
      this.slots,
      deps.logger,
    );
  }

  /**
   * Calls `listener` with the id of every process the manager stops or forgets (sessions end with it),
   * and why when it was no ordinary stop.
   */
  onGone(listener: (processId: string, notice?: GoneNotice) => void): void {
    this.goneListeners.add(listener);
  }

  /** Starts the idle sweep and the health checks. */
  startTimers(): void {
    const sweepEvery = Math.max(50, Math.min(this.s.idleTimeoutMs / 4, 60_000));
    this.timers.push(setInterval(() => void this.sweepIdle(), sweepEvery).unref());
    this.timers.push(setInterval(() => void this.healthCheck(), this.s.healthCheckIntervalMs).unref());
    // Idle or busy changes with every call: neighbours see it within this (their view of what may give way).
    if (this.deps.slots) this.timers.push(setInterval(() => this.room.publish(), 2000).unref());
  }

  /** Processes that count against the limit. */
  activeCount(): number {
    return [...this.byId.values()].filter((e) => ACTIVE_STATUSES.has(e.process.status)).length;
  }

  /**
   * Returns the unowned (shared or spare) process for `req.key`, or starts one. Concurrent calls for one
   * key share a start. @throws GatewayError PROCESS_LIMIT_REACHED, SERVER_START_FAILED
   */
  async acquire(req: LaunchRequest<M>): Promise<Acquired<M>> {
    const existing = this.byKey.get(req.key);
    if (existing && ACTIVE_STATUSES.has(existing.process.status)) {
      existing.process.lastActivity = Date.now();
      await existing.ready;
      return { process: existing.process, meta: existing.meta, reused: true };
    }
    const spare = this.spares.take(req.key);
    if (spare) {
      this.byKey.set(req.key, spare);
      return { process: spare.process, meta: spare.meta, reused: true };
    }
    const entry = await this.startEntry(req, undefined);
    return { process: entry.process, meta: entry.meta, reused: false };
  }

  /**
   * Gives `owner` (a session) a process of its own for `req.key`: a running warm spare when the pool has
   * one (no spawn wait), else the configuration's unshared process (one a stdio request started), else a
   * new process. The pool is refilled in the background. Owned processes are never shared and stop when
   * released. @throws GatewayError PROCESS_LIMIT_REACHED, SERVER_START_FAILED
   */
  async claim(req: LaunchRequest<M>, owner: string): Promise<Acquired<M>> {
    const taken = this.spares.take(req.key) ?? this.takeUnshared(req.key);
    let acquired: Acquired<M>;
    if (taken) {
      taken.owner = owner;
      taken.process.lastActivity = Date.now();
      acquired = { process: taken.process, meta: taken.meta, reused: true };
    } else {
      const entry = await this.startEntry(req, owner);
      acquired = { process: entry.process, meta: entry.meta, reused: false };
    }
    this.refillPool(req);
    return acquired;
  }

  private takeUnshared(key: string): Entry<M> | undefined {
    const e = this.byKey.get(key);
    if (!e || e.shared || e.process.status !== 'running') return undefined;
    this.byKey.delete(key);
    return e;
  }

  /** Starts spares for `req.key` in the background until the pool holds `warmPoolSize`, room permitting. */
  private refillPool(req: LaunchRequest<M>): void {
    // One spare starts at a time, at low CPU priority: refilling must not slow the sessions being served.
    if (this.spares.starting(req.key) || this.shuttingDown) return;
    if (this.spares.count(req.key) >= this.s.warmPoolSize || this.activeCount() >= this.s.maxProcesses)
      return;
    this.startEntry(req, undefined, true).then(
      (e) => {
        this.deps.logger.debug({ processId: e.process.id }, 'warm spare ready');
        this.refillPool(req);
      },
      (err: unknown) =>
        // A full host is no failure: a spare never takes the place of a running process.
        this.deps.logger[(err as GatewayError).code === 'PROCESS_LIMIT_REACHED' ? 'debug' : 'warn'](
          { err: (err as Error).message },
          'warm spare not started',
        ),
    );
  }

  /** Marks an unowned process as shared by many clients: sessions will not claim it. */
  markShared(processId: string): void {
    const e = this.byId.get(processId);
    if (e && e.owner === undefined) e.shared = true;
  }

  /** Stops the process `owner` holds (its session ended). */
  async release(processId: string, reason: string): Promise<void> {
    const e = this.byId.get(processId);
    if (e) await this.stopEntry(e, reason);
  }

  /**
   * Stops process `id` if it is idle, or with `busy` even with calls in flight (a neighbour gateway on
   * this host needs the room; its fair-share decision saw the process busy).
   */
  reclaimIfIdle(id: string, busy = false): Promise<boolean> {
    return this.room.reclaimIfIdle(id, busy);
  }

  private async startEntry(
    req: LaunchRequest<M>,
    owner: string | undefined,
    spare = false,
  ): Promise<Entry<M>> {
    if (this.shuttingDown)
      throw new GatewayError('PROCESS_LIMIT_REACHED', 'The gateway is shutting down.', { limit: 0 });
    this.deps.headroom?.();
    return this.slots
      .admit(async (neighbours) => {
        await this.room.makeFor(req, neighbours, spare);
        return this.createEntry(req, owner, spare);
      })
      .then((entry) => this.awaitReady(entry));
  }

  /** Creates, registers and starts a process (under the host's launch decision). */
  private createEntry(req: LaunchRequest<M>, owner: string | undefined, spare: boolean): Entry<M> {
    const id = `${req.label}-${randomBytes(6).toString('hex')}`;
    const { outputLog: openOutputLog, slots: _slots, headroom: _headroom, ...deps } = this.deps;
    const outputLog = openOutputLog?.(id);
    const process = new ManagedProcess(id, req.plan, {
      ...deps,
      ...(outputLog ? { outputLog } : {}),
      ...(req.profile ? { profile: req.profile } : {}),
      timings: this.s,
      runDir: path.join(this.s.runDir, id),
      onUnexpectedExit: (p, exit) => this.onCrash(p, exit),
    });
    this.deps.hooks?.created?.(req.meta, id);
    if (spare) process.niceness = SPARE_NICENESS;
    const entry: Entry<M> = {
      key: req.key,
      meta: req.meta,
      process,
      ready: process.start(),
      owner,
      shared: false,
      principal: req.principal,
      privileged: req.privileged === true,
    };
    this.byId.set(id, entry);
    if (spare) this.spares.add(req.key, entry);
    else if (!owner) this.byKey.set(req.key, entry);
    this.room.publish();
    return entry;
  }

  private async awaitReady(entry: Entry<M>): Promise<Entry<M>> {
    try {
      await entry.ready;
    } catch (err) {
      this.forget(entry);
      throw err;
    }
    const p = entry.process;
    this.deps.logger.info({ processId: p.id, pid: p.pid, owned: !!entry.owner }, 'MCP server started');
    return entry;
  }

  private forget(entry: Entry<M>, notice?: GoneNotice): void {
    if (this.byId.delete(entry.process.id)) {
      this.room.publish();
      entry.process.closeOutputLog();
      this.deps.hooks?.removed?.(entry.meta);
      for (const listener of this.goneListeners) listener(entry.process.id, notice);
    }
    if (this.byKey.get(entry.key) === entry) this.byKey.delete(entry.key);
    this.spares.remove(entry.key, entry);
  }

  /** Marks a crashed process failed for good: no restart, no reuse for its configuration. */
  private giveUp(
    entry: Entry<M>,
    reason: string,
    message: string,
    facts: Record<string, unknown> = {},
  ): void {
    const p = entry.process;
    p.markFailed(reason);
    if (this.byKey.get(entry.key) === entry) this.byKey.delete(entry.key);
    this.spares.remove(entry.key, entry);
    this.deps.logger.error({ processId: p.id, ...facts, ...p.outputTails(10) }, message);
  }

  /** Restarts a crashed process with exponential backoff until the budget is spent. */
  private onCrash(
    p: ManagedProcess,
    exit: { code: number | null; signal: NodeJS.Signals | null; error?: string },
  ): void {
    const entry = this.byId.get(p.id);
    if (!entry || this.shuttingDown) return;
    const verdict = crashVerdict(p, exit, this.s.maxRestarts);
    if (verdict) {
      this.giveUp(entry, verdict.reason, verdict.message, verdict.facts);
      return;
    }
    p.status = 'restarting';
    const delay = this.s.restartBackoffMs * 2 ** p.restarts;
    p.restarts += 1;
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (this.shuttingDown || p.status !== 'restarting') return;
      entry.ready = p.start().then(
        () => this.deps.logger.info({ processId: p.id, restarts: p.restarts }, 'MCP server restarted'),
        (err: unknown) => {
          this.deps.logger.warn(
            { processId: p.id, err: (err as Error).message },
            'MCP server restart failed',
          );
          this.onCrash(p, { code: null, signal: null, error: (err as Error).message });
        },
      );
    }, delay);
    timer.unref();
    this.restartTimers.add(timer);
  }

  /** Stops processes idle for longer than the idle timeout; forgets failed ones after the same time. */
  async sweepIdle(now = Date.now()): Promise<void> {
    const stale = [...this.byId.values()].filter((e) => now - e.process.lastActivity > this.s.idleTimeoutMs);
    await Promise.all(
      stale.map(async (e) => {
        if (e.process.status === 'failed' || e.process.status === 'stopped') this.forget(e);
        else if (e.process.status === 'running') await this.stopEntry(e, 'idle');
      }),
    );
  }

  /** Pings every running process; one that does not answer is killed (and so restarted). */
  async healthCheck(): Promise<void> {
    const running = [...this.byId.values()].filter((e) => e.process.status === 'running');
    await Promise.all(running.map((e) => pingOrKill(e.process, this.s.pingTimeoutMs, this.deps.logger)));
  }

  private async stopEntry(e: Entry<M>, reason: string, notice?: GoneNotice): Promise<void> {
    this.forget(e, notice);
    this.deps.hooks?.stopped?.(e.meta, e.process.id, reason);
    await e.process.stop(reason);
  }

  /** Stops one process by id. @throws GatewayError PROCESS_NOT_FOUND */
  async stop(id: string, reason = 'stopped by request'): Promise<void> {
    const e = this.byId.get(id);
    if (!e) throw new GatewayError('PROCESS_NOT_FOUND', `No process with id '${id}'.`);
    await this.stopEntry(e, reason);
  }

  get(id: string): { process: ManagedProcess; meta: M; owner: string | undefined } | undefined {
    const e = this.byId.get(id);
    return e ? { process: e.process, meta: e.meta, owner: e.owner } : undefined;
  }

  list(): Array<{ process: ManagedProcess; meta: M; owner: string | undefined }> {
    return [...this.byId.values()].map((e) => ({ process: e.process, meta: e.meta, owner: e.owner }));
  }

  /** Stops everything (gateway shutdown). */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.restartTimers) clearTimeout(t);
    this.restartTimers.clear();
    await Promise.all([...this.byId.values()].map((e) => this.stopEntry(e, 'gateway shutdown')));
  }
}
