/**
 * @module Requests between instances are signed: the front instance authenticates the caller (key, Host,
 * Origin) and charges its limits once, then forwards with the caller's identity in a claim signed with
 * HMAC-SHA256 over the time, method, path and query and the claim. The owner serves a request only with
 * a valid signature younger than 30 s; anything else on its cluster address is refused. The body is not
 * signed (it streams): the cluster address belongs on loopback or a private network.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../policy/principal.js';

/** Who the front instance served: the owner serves the request as that caller. */
export interface ForwardClaims {
  principal: Principal;
  clientAddress: string;
  /** The instance that forwarded it. */
  from: string;
}

export const SIGNATURE_HEADER = 'x-mcpgw-signature';
export const CLAIMS_HEADER = 'x-mcpgw-claims';
/** A signature older (or newer) than this is refused, ms. */
const MAX_SKEW_MS = 30_000;

function mac(secret: string, ts: string, method: string, target: string, claims: string): Buffer {
  return createHmac('sha256', secret).update(`${ts}\n${method}\n${target}\n${claims}`).digest();
}

/** The headers that carry `claims` for `method target` (target: path and query). */
export function signForward(
  secret: string,
  method: string,
  target: string,
  claims: ForwardClaims,
  now = Date.now(),
): Record<string, string> {
  const encoded = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const ts = String(now);
  const sig = mac(secret, ts, method, target, encoded).toString('base64url');
  return { [SIGNATURE_HEADER]: `${ts}.${sig}`, [CLAIMS_HEADER]: encoded };
}

/** The claims of a validly signed request, or undefined. */
export function verifyForward(
  secret: string,
  method: string,
  target: string,
  headers: Headers,
  now = Date.now(),
): ForwardClaims | undefined {
  const [ts, sig] = (headers.get(SIGNATURE_HEADER) ?? '').split('.');
  const encoded = headers.get(CLAIMS_HEADER) ?? '';
  if (!ts || !sig || !encoded || Math.abs(now - Number(ts)) > MAX_SKEW_MS) return undefined;
  const expected = mac(secret, ts, method, target, encoded);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as ForwardClaims;
    return typeof claims?.principal?.id === 'string' ? claims : undefined;
  } catch {
    return undefined;
  }
}
