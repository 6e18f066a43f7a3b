/**
 * @module Who gives way when the process limit is reached (pure). Capacity is reclaimed, not refused: the
 * least recently active process with nothing in flight is stopped (its sessions end, their clients get
 * 404 and re-initialize, as the transport spec prescribes), spares first. A principal's fair share of
 * MAX_PROCESSES only counts when the gateway is full: free capacity is anyone's, but a principal at or
 * over its share makes room among its own processes, and principals over their share give way first.
 * Calls in flight do not protect a hoard: when nothing idle can give way, a principal under its share
 * takes a busy process from a principal over it, or from one holding at least two more than it (so the
 * shares converge instead of anyone waiting), and an admin from any non-admin; the calls cut short end
 * with an error that says why. So no key keeps another's launch out for longer than a launch, and no key
 * keeps an admin's out at all. Only a principal at its share whose own processes are all busy, or equal
 * holders all busy, are refused.
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
  /** Started for an admin: only idle, it gives way to others. */
  privileged?: boolean;
}

export type RoomDecision =
  | {
      ok: true;
      reclaim?: string /** The process reclaimed has calls in flight (cut short). */;
      busy?: boolean;
    }
  | { ok: false; scope: 'principal' | 'gateway'; limit: number; busy: number };

/** The fair share of `max` per principal when the gateway is full (half, at least one). */
export function fairShare(max: number, configured: number): number {
  return configured > 0 ? configured : Math.max(1, Math.ceil(max / 2));
}

/** Spares first, then the least recently active. */
const byReclaimOrder = (a: CapacityView, b: CapacityView) =>
  Number(b.spare) - Number(a.spare) || a.lastActivity - b.lastActivity;

/**
 * A busy process to take for `principal` (holding `mine`), from the largest holder first: one over its
 * share, one holding two or more than `mine`, or, for an admin, any non-admin's.
 */
function busyVictim(
  active: readonly CapacityView[],
  held: ReadonlyMap<string, number>,
  principal: string,
  share: number,
  privileged: boolean,
): CapacityView | undefined {
  const mine = held.get(principal) ?? 0;
  const count = (p: CapacityView) => held.get(p.principal) ?? 0;
  const yields = (p: CapacityView) =>
    p.principal !== principal &&
    !p.idle &&
    !p.privileged &&
    (privileged || count(p) > share || count(p) >= mine + 2);
  return active
    .filter(yields)
    .sort((a, b) => count(b) - count(a) || a.lastActivity - b.lastActivity)
    .at(0);
}

/**
 * Whether `principal` may start a process now, and which process must stop first to make room.
 * `privileged`: the principal is an admin (never refused while a non-admin holds a process).
 */
export function makeRoom(
  procs: readonly CapacityView[],
  principal: string,
  max: number,
  share: number,
  privileged = false,
): RoomDecision {
  const active = procs.filter((p) => p.active);
  if (active.length < max) return { ok: true };
  const held = new Map<string, number>();
  for (const p of active) held.set(p.principal, (held.get(p.principal) ?? 0) + 1);
  const idle = active.filter((p) => p.idle).sort(byReclaimOrder);
  const pick = (victim: CapacityView | undefined, busy = false): RoomDecision | undefined =>
    victim ? { ok: true, reclaim: victim.id, ...(busy ? { busy } : {}) } : undefined;
  if ((held.get(principal) ?? 0) >= share && !privileged)
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
    pick(idle[0]) ??
    pick(busyVictim(active, held, principal, share, privileged), true) ?? {
      ok: false,
      scope: 'gateway',
      limit: max,
      busy: active.length,
    }
  );
}

/** The other gateways on this host, whose processes count against MAX_PROCESSES too (cluster/). */
export interface HostSlots {
  /** Runs `fn` (decide and register a launch) one gateway at a time, with the neighbours' processes. */
  admit<T>(fn: (neighbours: readonly CapacityView[]) => Promise<T>): Promise<T>;
  /** Publishes this gateway's active processes. */
  publish(own: readonly CapacityView[]): void;
  /**
   * Asks the gateway running neighbour process `id` to stop it if still idle (or, with `busy`, even with
   * calls in flight: a fair-share reclaim). @returns whether it did
   */
  reclaim(id: string, busy?: boolean): Promise<boolean>;
}

/** A gateway alone on its host. */
export const ALONE: HostSlots = {
  admit: (fn) => fn([]),
  publish: () => undefined,
  reclaim: async () => false,
};

/**
 * The process to stop for a new process of `principal` (undefined: there is room), and whether it is
 * busy. @throws GatewayError PROCESS_LIMIT_REACHED when everything that could give way is busy.
 */
export function roomFor(
  procs: readonly CapacityView[],
  principal: string,
  max: number,
  configuredShare: number,
  privileged = false,
): { id: string; busy: boolean } | undefined {
  const share = fairShare(max, configuredShare);
  const room = makeRoom(procs, principal, max, share, privileged);
  if (room.ok) return room.reclaim ? { id: room.reclaim, busy: room.busy === true } : undefined;
  throw new GatewayError(
    'PROCESS_LIMIT_REACHED',
    room.scope === 'principal'
      ? `All ${room.busy} processes of this caller (its fair share of ${share} while the gateway is full) are busy.`
      : `All ${room.limit} processes are busy with calls in flight.`,
    { limit: room.limit, scope: room.scope, busy: room.busy },
  );
}
