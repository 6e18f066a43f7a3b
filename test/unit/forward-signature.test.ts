/** Requests between instances: only a fresh signature by the cluster's secret over this very request passes. */
import { describe, expect, it } from 'vitest';
import { type ForwardClaims, signForward, verifyForward } from '../../src/cluster/forward-signature.js';

const SECRET = 'a-secret-of-the-cluster-0123456789';
const claims: ForwardClaims = {
  principal: { id: 'alice', role: 'user', anonymous: false },
  clientAddress: '203.0.113.7',
  from: 'aaaaaaaaaa',
};
const NOW = 1_800_000_000_000;

function headersOf(h: Record<string, string>): Headers {
  return new Headers(h);
}

describe('forward signatures', () => {
  const target = '/package/fixture-echo-mcp/mcp?apiKey=x';
  const signed = headersOf(signForward(SECRET, 'POST', target, claims, NOW));

  it('verifies its own signature and returns the claims', () => {
    expect(verifyForward(SECRET, 'POST', target, signed, NOW + 1000)).toEqual(claims);
  });

  it('refuses another secret, method, path, query or a changed claim', () => {
    expect(verifyForward('another-secret-0123456789abcdef', 'POST', target, signed, NOW)).toBeUndefined();
    expect(verifyForward(SECRET, 'GET', target, signed, NOW)).toBeUndefined();
    expect(verifyForward(SECRET, 'POST', '/package/other/mcp?apiKey=x', signed, NOW)).toBeUndefined();
    expect(
      verifyForward(SECRET, 'POST', '/package/fixture-echo-mcp/mcp?apiKey=y', signed, NOW),
    ).toBeUndefined();
    const admin = Buffer.from(
      JSON.stringify({ ...claims, principal: { ...claims.principal, role: 'admin' } }),
    ).toString('base64url');
    const forged = new Headers(signed);
    forged.set('x-mcpgw-claims', admin);
    expect(verifyForward(SECRET, 'POST', target, forged, NOW)).toBeUndefined();
  });

  it('refuses a stale or future signature (replay window 30 s), and missing or garbled headers', () => {
    expect(verifyForward(SECRET, 'POST', target, signed, NOW + 31_000)).toBeUndefined();
    expect(verifyForward(SECRET, 'POST', target, signed, NOW - 31_000)).toBeUndefined();
    expect(verifyForward(SECRET, 'POST', target, new Headers(), NOW)).toBeUndefined();
    const garbled = new Headers(signed);
    garbled.set('x-mcpgw-signature', `${NOW}.AAAA`);
    expect(verifyForward(SECRET, 'POST', target, garbled, NOW)).toBeUndefined();
    garbled.set('x-mcpgw-signature', 'not-a-signature');
    expect(verifyForward(SECRET, 'POST', target, garbled, NOW)).toBeUndefined();
  });
});
