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

  it('never stops a process with a call in flight; refuses only when everything is busy', () => {
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
    expect(roomFor([...own, ...others], 'dave', 4, 0)).toBe('b2');
    // Room below the limit, whoever holds the rest.
    expect(roomFor([...own, ...others], 'dave', 5, 0)).toBeUndefined();
    // Everything here busy, the neighbours' never reclaimable from here: refused.
    expect(() => roomFor([proc('a1', 'alice', { idle: false }), ...others], 'dave', 3, 0)).toThrow(
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
