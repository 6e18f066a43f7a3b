/**
 * @module Requests between instances are signed: the front instance authenticates the caller (key, Host,
 * Origin) and charges its limits once, then forwards with the caller's identity in a claim signed with
 * HMAC-SHA256 over the time, method, path and query and the claim. The owner serves a request only with
 * a valid signature younger than 30 s; anything else on its cluster address is refused. The body is not
 * signed (it streams): the cluster address belongs on loopback or a private network. Signatures have a
 * resolution of one second, and both sides remember the ones they made or checked (a session's requests
 * repeat them), so a request costs no HMAC as a rule.
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

/** Entries each cache below keeps at most. */
const CACHE_SIZE = 1000;

function mac(secret: string, ts: string, method: string, target: string, claims: string): Buffer {
  return createHmac('sha256', secret).update(`${ts}\n${method}\n${target}\n${claims}`).digest();
}

/**
 * A session's requests repeat their method, target and claims: within one second (the signature's
 * resolution) a signature is made once. Entries of earlier seconds are dropped.
 */
const signed = { ts: '', bySubject: new Map<string, string>() };

/** Signatures verified already (by their whole signed subject), with their claims; FIFO-bounded. */
const verified = new Map<string, ForwardClaims>();

/** The headers that carry `claims` for `method target` (target: path and query). */
export function signForward(
  secret: string,
  method: string,
  target: string,
  claims: ForwardClaims,
  now = Date.now(),
): Record<string, string> {
  const encoded = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const ts = String(now - (now % 1000));
  if (signed.ts !== ts) {
    signed.ts = ts;
    signed.bySubject.clear();
  }
  const subject = `${secret}\n${method}\n${target}\n${encoded}`;
  let sig = signed.bySubject.get(subject);
  if (sig === undefined) {
    sig = mac(secret, ts, method, target, encoded).toString('base64url');
    if (signed.bySubject.size < CACHE_SIZE) signed.bySubject.set(subject, sig);
  }
  return { [SIGNATURE_HEADER]: `${ts}.${sig}`, [CLAIMS_HEADER]: encoded };
}

/** The claims of a validly signed request (`headers`: web Headers, or a getter over Node's), or undefined. */
export function verifyForward(
  secret: string,
  method: string,
  target: string,
  headers: { get(name: string): string | null | undefined },
  now = Date.now(),
): ForwardClaims | undefined {
  const signature = headers.get(SIGNATURE_HEADER) ?? '';
  const [ts, sig] = signature.split('.');
  const encoded = headers.get(CLAIMS_HEADER) ?? '';
  if (!ts || !sig || !encoded || Math.abs(now - Number(ts)) > MAX_SKEW_MS) return undefined;
  const subject = `${secret}\n${signature}\n${method}\n${target}\n${encoded}`;
  const known = verified.get(subject);
  if (known) return known;
  const expected = mac(secret, ts, method, target, encoded);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let claims: ForwardClaims;
  try {
    claims = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as ForwardClaims;
  } catch {
    return undefined;
  }
  if (typeof claims?.principal?.id !== 'string') return undefined;
  if (verified.size >= CACHE_SIZE) verified.delete(verified.keys().next().value as string);
  verified.set(subject, Object.freeze(claims));
  return claims;
}
