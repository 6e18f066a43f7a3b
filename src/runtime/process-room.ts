/**
 * @module Who gives way at the process limit, as the manager applies `capacity.ts`'s decision: the views
 * of its processes (published to the host's other gateways), stopping the one picked here or asking its
 * gateway to, and the notice calls cut short for a fair share carry.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../observability/logger.js';
import { type CapacityView, type HostSlots, roomFor } from './capacity.js';
import type { ManagedProcess } from './managed-process.js';

/** Statuses that count against the limit. */
export const ACTIVE_STATUSES = new Set(['starting', 'running', 'restarting']);

/** Why a process went, for the calls and sessions it ends (absent: an ordinary stop). */
export interface GoneNotice {
  message: string;
  /** JSON-RPC error `data` for calls cut short: a code and guidance. */
  data: { code: string; guidance: string };
}

/** The notice of a process taken, busy, for another principal's fair share. */
export const RECLAIMED_NOTICE: GoneNotice = Object.freeze({
  message: "The MCP server was reclaimed for another user's fair share of the gateway's processes.",
  data: {
    code: 'PROCESS_RECLAIMED',
    guidance:
      'Retry: your session has ended (404); initialize again. The gateway was full and you held more than your fair share (MAX_PROCESSES_PER_PRINCIPAL).',
  },
});

/** What the room needs of a managed process. */
export interface RoomEntry {
  key: string;
  process: ManagedProcess;
  principal: string;
  privileged: boolean;
}

/** The manager's side: its processes, and how one stops. */
export interface RoomHost<E extends RoomEntry> {
  entries(): Iterable<E>;
  get(id: string): E | undefined;
  isSpare(e: E): boolean;
  stop(e: E, reason: string, notice?: GoneNotice): Promise<void>;
}

export class ProcessRoom<E extends RoomEntry> {
  constructor(
    private readonly s: { maxProcesses: number; maxProcessesPerPrincipal: number },
    private readonly host: RoomHost<E>,
    private readonly slots: HostSlots,
    private readonly logger: Logger,
  ) {}

  /** What the room decision and the host's other gateways see of each process here. */
  views(): CapacityView[] {
    return [...this.host.entries()].map((e) => ({
      id: e.process.id,
      principal: e.principal,
      spare: this.host.isSpare(e),
      active: ACTIVE_STATUSES.has(e.process.status),
      idle: e.process.status === 'running' && e.process.inFlight === 0,
      lastActivity: e.process.lastActivity,
      ...(e.privileged ? { privileged: true } : {}),
    }));
  }

  /**
   * Makes room for a new process of `req.principal` at the limit (the host's: `neighbours` are the other
   * gateways' processes): stops the process `roomFor` picks (idle first; busy only for a fair share, its
   * calls ending with RECLAIMED_NOTICE; its sessions end with it), here or, through its gateway, on a
   * neighbour. @throws GatewayError PROCESS_LIMIT_REACHED
   */
  async makeFor(
    req: { principal: string; privileged?: boolean },
    neighbours: readonly CapacityView[],
    spare: boolean,
  ): Promise<void> {
    const all = [...this.views(), ...neighbours];
    const { maxProcesses, maxProcessesPerPrincipal } = this.s;
    const victim = roomFor(
      all,
      req.principal,
      maxProcesses,
      maxProcessesPerPrincipal,
      req.privileged === true,
    );
    if (!victim) return;
    if (spare) throw new GatewayError('PROCESS_LIMIT_REACHED', 'No room for a spare.', { limit: all.length });
    const entry = this.host.get(victim.id);
    if (entry) {
      if (!victim.busy)
        return this.host.stop(
          entry,
          'reclaimed for a new process at the limit (least recently active, idle)',
        );
      this.logger.warn(
        {
          processId: victim.id,
          owner: entry.principal,
          for: req.principal,
          inFlight: entry.process.inFlight,
        },
        'busy process reclaimed for a fair share',
      );
      return this.host.stop(entry, 'reclaimed, busy, for another principal’s fair share', RECLAIMED_NOTICE);
    }
    if (!(await this.slots.reclaim(victim.id, victim.busy)))
      throw new GatewayError(
        'PROCESS_LIMIT_REACHED',
        `All ${maxProcesses} processes of this host are busy.`,
        {
          limit: maxProcesses,
          scope: 'gateway',
          busy: all.filter((v) => v.active).length,
        },
      );
  }

  /** Stops process `id` if it is idle, or with `busy` even with calls in flight (a neighbour's decision). */
  async reclaimIfIdle(id: string, busy: boolean): Promise<boolean> {
    const e = this.host.get(id);
    if (e?.process.status !== 'running' || (e.process.inFlight > 0 && !busy)) return false;
    if (e.process.inFlight > 0)
      await this.host.stop(e, 'reclaimed, busy, for a fair share on this host', RECLAIMED_NOTICE);
    else await this.host.stop(e, 'reclaimed for another gateway of this host at the limit (idle)');
    return true;
  }

  /** Publishes this gateway's active processes to the host's other gateways. */
  publish(): void {
    this.slots.publish(this.views().filter((v) => v.active));
  }
}
