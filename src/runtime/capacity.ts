/**
 * @module Who gives way when the process limit is reached (pure). Capacity is reclaimed, not refused: the
 * least recently active process with nothing in flight is stopped (its sessions end, their clients get
 * 404 and re-initialize, as the transport spec prescribes), spares first. A principal's fair share of
 * MAX_PROCESSES only counts when the gateway is full: free capacity is anyone's, but a principal at or
 * over its share makes room among its own processes, and principals over their share give way first,
 * so one principal cannot starve the others. Only when everything that could give way is busy is a
 * request refused.
 */

import { GatewayError } from '../errors/gateway-error.js';

/** What the decision needs to know about each process. */
export interface CapacityView {
  id: string;
  principal: string;
  /** A warm spare no session has claimed yet. */
  spare: boolean;
  /** starting, running, restarting: it counts against the limit. */
  active: boolean;
  /** Running with no relayed request in flight: it may be stopped for room. */
  idle: boolean;
  lastActivity: number;
}

export type RoomDecision =
  | { ok: true; reclaim?: string }
  | { ok: false; scope: 'principal' | 'gateway'; limit: number; busy: number };

/** The fair share of `max` per principal when the gateway is full (half, at least one). */
export function fairShare(max: number, configured: number): number {
  return configured > 0 ? configured : Math.max(1, Math.ceil(max / 2));
}

/** Spares first, then the least recently active. */
const byReclaimOrder = (a: CapacityView, b: CapacityView) =>
  Number(b.spare) - Number(a.spare) || a.lastActivity - b.lastActivity;

/** Whether `principal` may start a process now, and which process must stop first to make room. */
export function makeRoom(
  procs: readonly CapacityView[],
  principal: string,
  max: number,
  share: number,
): RoomDecision {
  const active = procs.filter((p) => p.active);
  if (active.length < max) return { ok: true };
  const held = new Map<string, number>();
  for (const p of active) held.set(p.principal, (held.get(p.principal) ?? 0) + 1);
  const idle = active.filter((p) => p.idle).sort(byReclaimOrder);
  const pick = (victim: CapacityView | undefined): RoomDecision | undefined =>
    victim ? { ok: true, reclaim: victim.id } : undefined;
  if ((held.get(principal) ?? 0) >= share)
    return (
      pick(idle.find((p) => p.principal === principal)) ?? {
        ok: false,
        scope: 'principal',
        limit: share,
        busy: held.get(principal) ?? 0,
      }
    );
  return (
    pick(idle.find((p) => (held.get(p.principal) ?? 0) > share)) ??
    pick(idle[0]) ?? { ok: false, scope: 'gateway', limit: max, busy: active.length }
  );
}

/** The other gateways on this host, whose processes count against MAX_PROCESSES too (cluster/). */
export interface HostSlots {
  /** Runs `fn` (decide and register a launch) one gateway at a time, with the neighbours' processes. */
  admit<T>(fn: (neighbours: readonly CapacityView[]) => Promise<T>): Promise<T>;
  /** Publishes this gateway's active processes. */
  publish(own: readonly CapacityView[]): void;
  /** Asks the gateway running neighbour process `id` to stop it if still idle. @returns whether it did */
  reclaim(id: string): Promise<boolean>;
}

/** A gateway alone on its host. */
export const ALONE: HostSlots = {
  admit: (fn) => fn([]),
  publish: () => undefined,
  reclaim: async () => false,
};

/**
 * The process to stop for a new process of `principal` (undefined: there is room).
 * @throws GatewayError PROCESS_LIMIT_REACHED when everything that could give way is busy.
 */
export function roomFor(
  procs: readonly CapacityView[],
  principal: string,
  max: number,
  configuredShare: number,
): string | undefined {
  const share = fairShare(max, configuredShare);
  const room = makeRoom(procs, principal, max, share);
  if (room.ok) return room.reclaim;
  throw new GatewayError(
    'PROCESS_LIMIT_REACHED',
    room.scope === 'principal'
      ? `All ${room.busy} processes of this caller (its fair share of ${share} while the gateway is full) are busy.`
      : `All ${room.limit} processes are busy with calls in flight.`,
    { limit: room.limit, scope: room.scope, busy: room.busy },
  );
}
