/** Who gives way at the process limit: reclaim the least recently active idle process, fairly. */
import { describe, expect, it } from 'vitest';
import { type CapacityView, fairShare, makeRoom, roomFor } from '../../src/runtime/capacity.js';

const proc = (id: string, principal: string, over: Partial<CapacityView> = {}): CapacityView => ({
  id,
  principal,
  spare: false,
  active: true,
  idle: true,
  lastActivity: Number(id.replace(/\D/g, '')) || 0,
  ...over,
});

describe('makeRoom', () => {
  it('lets anyone use free capacity, a single principal all of it', () => {
    expect(makeRoom([proc('a1', 'alice'), proc('a2', 'alice')], 'alice', 3, 1)).toEqual({ ok: true });
    expect(fairShare(10, 0)).toBe(5);
    expect(fairShare(1, 0)).toBe(1);
    expect(fairShare(10, 3)).toBe(3);
  });

  it('reclaims a spare first, then the least recently active idle process', () => {
    const procs = [proc('a1', 'alice'), proc('a2', 'alice', { spare: true }), proc('b3', 'bob')];
    expect(makeRoom(procs, 'carol', 3, 2)).toEqual({ ok: true, reclaim: 'a2' });
    expect(makeRoom([proc('a5', 'alice'), proc('b3', 'bob')], 'carol', 2, 2)).toEqual({
      ok: true,
      reclaim: 'b3',
    });
  });

  it('stops a process with a call in flight only for a fair share; refuses equal holders all busy', () => {
    const busy = [proc('a1', 'alice', { idle: false }), proc('b2', 'bob', { idle: false })];
    expect(makeRoom(busy, 'carol', 2, 1)).toEqual({ ok: false, scope: 'gateway', limit: 2, busy: 2 });
    expect(makeRoom([...busy.slice(0, 1), proc('b9', 'bob')], 'carol', 2, 1)).toEqual({
      ok: true,
      reclaim: 'b9',
    });
  });

  it('makes a principal at its share give way among its own processes when the gateway is full', () => {
    // Alice abandoned four sessions (idle), Bob works: Alice's new process replaces her oldest one.
    const procs = [
      proc('a1', 'alice'),
      proc('a2', 'alice'),
      proc('a3', 'alice'),
      proc('a4', 'alice'),
      proc('b0', 'bob'),
    ];
    expect(makeRoom(procs, 'alice', 5, 3)).toEqual({ ok: true, reclaim: 'a1' });
    // Bob, under his share, takes room from the principal over its share, not from himself.
    expect(makeRoom(procs, 'bob', 5, 3)).toEqual({ ok: true, reclaim: 'a1' });
    const aliceBusy = procs.map((p) => (p.principal === 'alice' ? { ...p, idle: false } : p));
    expect(makeRoom(aliceBusy, 'alice', 5, 3)).toEqual({ ok: false, scope: 'principal', limit: 3, busy: 4 });
  });

  it('ignores stopped and failed processes', () => {
    const procs = [proc('a1', 'alice', { active: false }), proc('a2', 'alice', { active: false })];
    expect(makeRoom(procs, 'bob', 1, 1)).toEqual({ ok: true });
  });
});

describe('roomFor with the processes of other gateways on the host', () => {
  const neighbour = (i: number, principal: string) =>
    proc(`neighbour-${i}`, principal, { idle: false, lastActivity: 0 });

  it('counts neighbours against the host limit and the fair share, but reclaims only its own', () => {
    const own = [proc('a1', 'alice', { idle: false }), proc('b2', 'bob')];
    const others = [neighbour(0, 'alice'), neighbour(1, 'carol')];
    // 4 of 4 on the host: bob's idle process here gives way for dave.
    expect(roomFor([...own, ...others], 'dave', 4, 0)).toEqual({ id: 'b2', busy: false });
    // Room below the limit, whoever holds the rest.
    expect(roomFor([...own, ...others], 'dave', 5, 0)).toBeUndefined();
    // Everything busy: alice holds two more than dave, so her oldest gives way, on the neighbour that runs it.
    expect(roomFor([proc('a1', 'alice', { idle: false }), ...others], 'dave', 3, 0)).toEqual({
      id: 'neighbour-0',
      busy: true,
    });
    // Everyone holds one, all busy: nobody holds more than its share or two more than dave: refused.
    const ones = [proc('a1', 'alice', { idle: false }), neighbour(1, 'carol'), neighbour(2, 'erin')];
    expect(() => roomFor(ones, 'dave', 3, 0)).toThrow(
      expect.objectContaining({
        code: 'PROCESS_LIMIT_REACHED',
        details: expect.objectContaining({ scope: 'gateway' }),
      }),
    );
    // alice holds 2 of 4 on the host (her fair share): she makes room among her own here, or is refused.
    expect(() => roomFor([...own, ...others], 'alice', 4, 0)).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ scope: 'principal', busy: 2 }) }),
    );
  });
});

describe('makeRoom under load (every process busy)', () => {
  const busy = (id: string, principal: string, over: Partial<CapacityView> = {}) =>
    proc(id, principal, { idle: false, ...over });
  const hoard = Array.from({ length: 10 }, (_, i) => busy(`a${i + 1}`, 'alice'));

  it('takes a busy process from a principal over its share for one under it, oldest first', () => {
    expect(makeRoom(hoard, 'bob', 10, 5)).toEqual({ ok: true, reclaim: 'a1', busy: true });
  });

  it('prefers an idle process to a busy one', () => {
    const procs = [...hoard.slice(1), proc('b5', 'bob')];
    expect(makeRoom(procs, 'carol', 10, 5)).toEqual({ ok: true, reclaim: 'b5' });
  });

  it('takes from the largest holder when nobody is over the share but one holds two more', () => {
    const procs = [
      ...hoard.slice(0, 5),
      busy('b6', 'bob'),
      busy('b7', 'bob'),
      busy('b8', 'bob'),
      busy('c9', 'carol'),
      busy('c10', 'carol'),
    ];
    // carol (2) asks: alice holds 5 = share, not over it, but 5 >= 2 + 2.
    expect(makeRoom(procs, 'carol', 10, 5)).toEqual({ ok: true, reclaim: 'a1', busy: true });
    // bob (3) against alice (5): 5 >= 3 + 2, so bob too.
    expect(makeRoom(procs, 'bob', 10, 5)).toEqual({ ok: true, reclaim: 'a1', busy: true });
    // Two equal holders, all busy: a third principal's holder gap is what counts.
    const even = [...hoard.slice(0, 5), ...Array.from({ length: 5 }, (_, i) => busy(`b${i + 11}`, 'bob'))];
    expect(makeRoom(even, 'carol', 10, 5)).toEqual({ ok: true, reclaim: 'a1', busy: true });
  });

  it('refuses a principal at its share whose own processes are all busy', () => {
    const even = [...hoard.slice(0, 5), ...Array.from({ length: 5 }, (_, i) => busy(`b${i + 11}`, 'bob'))];
    expect(makeRoom(even, 'alice', 10, 5)).toEqual({ ok: false, scope: 'principal', limit: 5, busy: 5 });
  });

  it('never refuses an admin while a non-admin holds a process, and never takes an admin’s busy one', () => {
    const even = [...hoard.slice(0, 5), ...Array.from({ length: 5 }, (_, i) => busy(`b${i + 11}`, 'bob'))];
    expect(makeRoom(even, 'ops', 10, 5, true)).toEqual({ ok: true, reclaim: 'a1', busy: true });
    const admins = Array.from({ length: 10 }, (_, i) => busy(`o${i + 1}`, 'ops', { privileged: true }));
    expect(makeRoom(admins, 'bob', 10, 5)).toEqual({ ok: false, scope: 'gateway', limit: 10, busy: 10 });
    expect(makeRoom(admins.slice(0, 9).concat(busy('b1', 'bob')), 'ops2', 10, 5, true)).toEqual({
      ok: true,
      reclaim: 'b1',
      busy: true,
    });
  });

  it('roomFor tells a busy reclaim apart', () => {
    expect(roomFor(hoard, 'bob', 10, 0)).toEqual({ id: 'a1', busy: true });
    expect(roomFor([proc('a1', 'alice')], 'bob', 1, 0)).toEqual({ id: 'a1', busy: false });
  });
});
