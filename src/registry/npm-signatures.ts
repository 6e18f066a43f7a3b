/**
 * @module npm registry signatures (the way `npm audit signatures` checks them): the registry signs
 * `name@version:integrity` of every version it publishes with an ECDSA P-256 key whose public half it
 * serves at `/-/npm/v1/keys`; a version's `dist.signatures` name the key (`keyid`) and carry the
 * signature (base64 DER). A key that expired before the version was published does not vouch for it.
 * A registry that publishes no keys (a mirror, a private registry) leaves every version `unverifiable`.
 * The checks are pure; fetching the keys is the one I/O, behind a function passed in.
 */
import { createPublicKey, createVerify, type KeyObject } from 'node:crypto';

/** A registry signing key as `/-/npm/v1/keys` lists it. */
export interface RegistryKey {
  keyid: string;
  keytype: string;
  scheme: string;
  /** Base64 DER SubjectPublicKeyInfo. */
  key: string;
  /** ISO time after which it signs nothing (null: no end). */
  expires: string | null;
}

/** What a version's entry says of itself. */
export interface SignedVersion {
  name: string;
  version: string;
  integrity?: string | undefined;
  signatures?: ReadonlyArray<{ keyid?: unknown; sig?: unknown }> | undefined;
  /** When it was published (ISO), if known: a key's expiry is judged against it. */
  publishedAt?: string | undefined;
}

/** The verdict on one version's registry signature. */
export type SignatureVerdict =
  | { status: 'verified'; keyid: string }
  | { status: 'missing' }
  | { status: 'invalid'; reason: string }
  | { status: 'unverifiable'; reason: string };

/** The keys of `/-/npm/v1/keys`, or undefined when the document is not a key list. */
export function parseRegistryKeys(doc: unknown): RegistryKey[] | undefined {
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return undefined;
  return keys.filter(
    (k): k is RegistryKey =>
      !!k &&
      typeof k.keyid === 'string' &&
      typeof k.key === 'string' &&
      (k.expires === null || typeof k.expires === 'string'),
  );
}

const publicKeys = new Map<string, KeyObject>();
function publicKey(k: RegistryKey): KeyObject {
  let pub = publicKeys.get(k.key);
  if (!pub) {
    pub = createPublicKey({ key: Buffer.from(k.key, 'base64'), format: 'der', type: 'spki' });
    publicKeys.set(k.key, pub);
  }
  return pub;
}

/** Checks one version's registry signature against the registry's keys (undefined: it publishes none). */
export function verifyRegistrySignature(
  v: SignedVersion,
  keys: readonly RegistryKey[] | undefined,
  now: number = Date.now(),
): SignatureVerdict {
  if (!keys || keys.length === 0)
    return { status: 'unverifiable', reason: 'the registry publishes no signing keys (/-/npm/v1/keys)' };
  const signatures = (v.signatures ?? []).filter(
    (s) => typeof s.keyid === 'string' && typeof s.sig === 'string',
  );
  if (signatures.length === 0 || !v.integrity) return { status: 'missing' };
  const why: string[] = [];
  for (const s of signatures) {
    const keyid = s.keyid as string;
    const key = keys.find((k) => k.keyid === keyid);
    if (!key) {
      why.push(`no registry key ${keyid}`);
      continue;
    }
    // The key must have been valid when the version was published (now, when that is not known).
    const at = v.publishedAt ? Date.parse(v.publishedAt) : now;
    if (key.expires !== null && !(at < Date.parse(key.expires))) {
      why.push(
        `key ${keyid} expired ${key.expires}, before ${v.publishedAt ? `the publish time ${v.publishedAt}` : 'now'}`,
      );
      continue;
    }
    let ok = false;
    try {
      const check = createVerify('SHA256');
      check.update(`${v.name}@${v.version}:${v.integrity}`);
      ok = check.verify(publicKey(key), s.sig as string, 'base64');
    } catch {
      ok = false;
    }
    if (ok) return { status: 'verified', keyid };
    why.push(`the signature by ${keyid} does not match ${v.name}@${v.version}:${v.integrity.slice(0, 20)}…`);
  }
  return { status: 'invalid', reason: why.join('; ') };
}
