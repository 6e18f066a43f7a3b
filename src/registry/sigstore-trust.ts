/**
 * @module The Sigstore trust that provenance is checked against: the public-good instance's trusted
 * root (Fulcio certificate authorities, Rekor and CT log keys) and npm's attestation keys. Sources, the
 * first that answers: a `trusted_root.json` file (SIGSTORE_TRUSTED_ROOT: air-gapped gateways, private
 * Sigstore instances, tests); the Sigstore TUF repository (SIGSTORE_TUF_URL), verified by @sigstore/tuf
 * and cached under the store; the copy of both that @sigstore/tuf ships — what npm itself starts from —
 * when the TUF repository cannot be reached. The answer names its source. Loaded on the first
 * attestation to check, kept for a day (an hour when it came from the shipped copy).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { PublicKey, PublicKeyDetails, TrustedRoot } from '@sigstore/protobuf-specs';
import { initTUF } from '@sigstore/tuf';
import { type TrustMaterial, toTrustMaterial } from '@sigstore/verify';
import type { RegistryKey } from './npm-signatures.js';

const TRUSTED_ROOT = 'trusted_root.json';
const NPM_KEYS = 'registry.npmjs.org%2Fkeys.json';
const DEFAULT_TUF_URL = 'https://tuf-repo-cdn.sigstore.dev';
const TUF_TTL_MS = 24 * 3600_000;
const SHIPPED_TTL_MS = 3600_000;

export interface SigstoreTrustOptions {
  /** A trusted_root.json to use instead of TUF (its npm keys then come from the registry only). */
  trustedRootFile?: string | undefined;
  tufUrl?: string | undefined;
  /** Where the TUF metadata is cached. */
  cacheDir: string;
  timeoutMs: number;
}

/** What a check is made against. */
export interface SigstoreRoots {
  root: TrustedRoot;
  /** npm's attestation keys by key id (`keyUsage: npm:attestations`). */
  npmKeys: Record<string, PublicKey>;
  /** Where they came from: `file <path>`, `tuf <url>`, or `shipped (…why)`. */
  source: string;
}

interface KeysDocument {
  keys?: Array<{ keyId?: string; keyUsage?: string; publicKey?: unknown }>;
}

/** npm's attestation keys from the TUF target `registry.npmjs.org/keys.json`. */
function attestationKeys(doc: KeysDocument): Record<string, PublicKey> {
  const out: Record<string, PublicKey> = {};
  for (const k of doc.keys ?? [])
    if (k.keyId && k.keyUsage === 'npm:attestations' && k.publicKey)
      out[k.keyId] = PublicKey.fromJSON(k.publicKey);
  return out;
}

/** The registry's own keys (`/-/npm/v1/keys`) in Sigstore's form: a key is good until it expires. */
export function registryKeysAsSigstore(keys: readonly RegistryKey[] | undefined): Record<string, PublicKey> {
  const out: Record<string, PublicKey> = {};
  for (const k of keys ?? [])
    out[k.keyid] = {
      rawBytes: Buffer.from(k.key, 'base64'),
      keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
      validFor: { start: new Date(0), ...(k.expires ? { end: new Date(k.expires) } : {}) },
    };
  return out;
}

/** The copy @sigstore/tuf ships for the public-good instance. */
function shipped(why: string): SigstoreRoots {
  const seeds = createRequire(import.meta.url)('@sigstore/tuf/seeds.json') as Record<
    string,
    { targets: Record<string, string> }
  >;
  const targets = seeds[DEFAULT_TUF_URL]?.targets ?? {};
  const target = (name: string) => JSON.parse(Buffer.from(targets[name] ?? '', 'base64').toString('utf8'));
  return {
    root: TrustedRoot.fromJSON(target(TRUSTED_ROOT)),
    npmKeys: attestationKeys(target(NPM_KEYS)),
    source: `shipped with @sigstore/tuf (${why})`,
  };
}

export class SigstoreTrust {
  private loaded?: { until: number; roots: Promise<SigstoreRoots> };
  /** The last material built (the roots and registry keys change rarely). */
  private lastMaterial?: {
    roots: SigstoreRoots;
    keys: readonly RegistryKey[] | undefined;
    trust: TrustMaterial;
  };

  constructor(
    private readonly o: SigstoreTrustOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** The trusted root and npm keys, loaded once and kept for a while. */
  roots(): Promise<SigstoreRoots> {
    if (this.loaded && this.loaded.until > this.now()) return this.loaded.roots;
    const roots = this.load();
    this.loaded = { until: this.now() + SHIPPED_TTL_MS, roots };
    void roots.then(
      (r) => {
        if (this.loaded?.roots === roots && !r.source.startsWith('shipped'))
          this.loaded.until = this.now() + TUF_TTL_MS;
      },
      () => {
        if (this.loaded?.roots === roots) this.loaded = undefined;
      },
    );
    return roots;
  }

  /** Trust material for verifying bundles: the roots, with npm's keys and the registry's own. */
  async material(
    registryKeys: readonly RegistryKey[] | undefined,
  ): Promise<{ trust: TrustMaterial; source: string }> {
    const roots = await this.roots();
    const last = this.lastMaterial;
    if (last?.roots === roots && last.keys === registryKeys)
      return { trust: last.trust, source: roots.source };
    const trust = toTrustMaterial(roots.root, { ...registryKeysAsSigstore(registryKeys), ...roots.npmKeys });
    this.lastMaterial = { roots, keys: registryKeys, trust };
    return { trust, source: roots.source };
  }

  private async load(): Promise<SigstoreRoots> {
    if (this.o.trustedRootFile) {
      const root = TrustedRoot.fromJSON(JSON.parse(await readFile(this.o.trustedRootFile, 'utf8')));
      return { root, npmKeys: {}, source: `file ${this.o.trustedRootFile}` };
    }
    const mirrorURL = this.o.tufUrl ?? DEFAULT_TUF_URL;
    try {
      const tuf = await initTUF({
        mirrorURL,
        cachePath: this.o.cacheDir,
        timeout: this.o.timeoutMs,
        retry: false,
      });
      const root = TrustedRoot.fromJSON(JSON.parse(await tuf.getTarget(TRUSTED_ROOT)));
      const npmKeys = await tuf.getTarget(NPM_KEYS).then(
        (t) => attestationKeys(JSON.parse(t)),
        () => ({}),
      );
      return { root, npmKeys, source: `tuf ${mirrorURL}` };
    } catch (err) {
      if (mirrorURL !== DEFAULT_TUF_URL) throw err; // a private instance has no shipped copy
      return shipped(`${mirrorURL} could not be reached: ${(err as Error).message.slice(0, 120)}`);
    }
  }
}
