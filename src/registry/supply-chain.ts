/**
 * @module Supply-chain facts of an installed package, found once, right after its install and before it
 * ever runs: for npm, the registry signature of every package in the installed tree (from npm's own
 * record of it, `node_modules/.package-lock.json`), checked against the registry's keys with the
 * publish time from each package's registry document, and the installed integrity compared with the
 * registry's. A registry without keys (a mirror, a private registry) makes the tree `unverifiable`
 * without asking anything more. Then the top package's provenance (npm-provenance.ts), against the
 * Sigstore trust (sigstore-trust.ts). PyPI has no registry signatures (`unverifiable`); its PEP 740
 * provenance of the installed file (what pip's install report names) is checked (pypi-provenance.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fetchDocument, readJson } from './http-fetch.js';
import { attestationsUrl, judgeNpmAttestations } from './npm-provenance.js';
import { encodeNpmName } from './npm-registry-client.js';
import { parseRegistryKeys, type RegistryKey, verifyRegistrySignature } from './npm-signatures.js';
import { judgePypiProvenance } from './pypi-provenance.js';
import type { DistFile } from './pypi-simple-index.js';
import { notVerified, type Provenance } from './sigstore-attestation.js';
import type { SigstoreTrust } from './sigstore-trust.js';

/** What was found. `signatures`: the worst of the tree (invalid, then missing, then unverifiable). */
export interface SupplyChain {
  signatures: 'verified' | 'missing' | 'invalid' | 'unverifiable';
  /** Packages in the installed tree, and how many carry a verified registry signature. */
  packages: number;
  verified: number;
  /** Packages without a signature; whose signature failed; that could not be checked (first 20 each). */
  missing: string[];
  invalid: Array<{ package: string; reason: string }>;
  unchecked: string[];
  /** Why nothing could be verified, when nothing could. */
  reason?: string;
  /** The top package's provenance (npm: Sigstore attestations); absent from entries stored before it was. */
  provenance?: Provenance;
  checkedAt: string;
  ms: number;
}

/** Fetches a JSON document; undefined when there is none (404). @throws on other failures */
export type FetchJson = (url: string) => Promise<unknown>;

/** A registry's JSON documents over HTTP (npm's full documents: they carry the publish times). */
export function registryJson(registry: 'npm' | 'PyPI', baseUrl: string, timeoutMs: number): FetchJson {
  return async (url) => {
    const res = await fetchDocument(fetch, url, { accept: 'application/json', timeoutMs, registry, baseUrl });
    return res ? readJson(res, registry) : undefined;
  };
}

const KEYS_TTL_MS = 3600_000;
const NO_KEYS_TTL_MS = 5 * 60_000;
const CONCURRENCY = 8;
const LISTED = 20;

interface TreeEntry {
  /** Where npm put it: `node_modules/name` at the top. */
  where: string;
  name: string;
  version: string;
  integrity?: string;
}

/** The packages npm installed in `dir`, from its hidden lockfile (links and the root left out). */
async function installedTree(dir: string): Promise<TreeEntry[]> {
  const lock = JSON.parse(await readFile(path.join(dir, 'node_modules', '.package-lock.json'), 'utf8')) as {
    packages?: Record<string, { version?: string; integrity?: string; link?: boolean; name?: string }>;
  };
  const out: TreeEntry[] = [];
  for (const [where, p] of Object.entries(lock.packages ?? {})) {
    if (!where || p.link || !p.version) continue;
    const name = p.name ?? where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
    out.push({ where, name, version: p.version, ...(p.integrity ? { integrity: p.integrity } : {}) });
  }
  return out;
}

/** Runs `work` over `items`, at most CONCURRENCY at a time. */
async function eachLimited<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

/** The distribution file pip installed for the package itself. */
export interface InstalledFile {
  filename: string;
  sha256: string;
}

export interface SupplyChainOptions {
  npmRegistryUrl: string;
  /** Fetches the npm registry's JSON documents. */
  fetchJson: FetchJson;
  /** Fetches PEP 740 provenance objects (default: fetchJson). */
  fetchPypiJson?: FetchJson;
  /** Undefined: provenance is not checked. */
  trust?: SigstoreTrust | undefined;
  /** A file as the PyPI indexes list it (its PEP 740 provenance link). */
  pypiFile?: (name: string, filename: string, sha256: string) => Promise<DistFile | undefined>;
  now?: () => number;
}

export class SupplyChainChecker {
  private keys?: { until: number; keys: Promise<RegistryKey[] | undefined> };
  private readonly npmRegistryUrl: string;
  private readonly fetchJson: FetchJson;
  private readonly trust: SigstoreTrust | undefined;
  private readonly now: () => number;

  constructor(private readonly o: SupplyChainOptions) {
    this.npmRegistryUrl = o.npmRegistryUrl;
    this.fetchJson = o.fetchJson;
    this.trust = o.trust;
    this.now = o.now ?? Date.now;
  }

  /** The registry's signing keys (undefined: it publishes none, or cannot be asked now), cached. */
  private registryKeys(): Promise<RegistryKey[] | undefined> {
    if (this.keys && this.keys.until > this.now()) return this.keys.keys;
    const keys = this.fetchJson(`${this.npmRegistryUrl}/-/npm/v1/keys`).then(
      parseRegistryKeys,
      () => undefined,
    );
    this.keys = { until: this.now() + NO_KEYS_TTL_MS, keys };
    void keys.then((k) => {
      if (k && this.keys?.keys === keys) this.keys.until = this.now() + KEYS_TTL_MS;
    });
    return keys;
  }

  /** The provenance of the top package `top` of the tree (undefined: the registry's keys). */
  private async provenance(
    top: TreeEntry | undefined,
    attestations: Promise<unknown> | undefined,
    keys: RegistryKey[] | undefined,
  ): Promise<Provenance> {
    const no = notVerified;
    if (!this.trust) return no('unverifiable', 'provenance is not checked here');
    if (!top || !attestations) return no('unverifiable', 'the package is not in its installed tree');
    let doc: unknown;
    try {
      doc = await attestations;
    } catch (err) {
      return no(
        'unverifiable',
        `the attestations could not be fetched: ${(err as Error).message.slice(0, 120)}`,
      );
    }
    if (doc === undefined && !keys?.length)
      return no(
        'unverifiable',
        `${this.npmRegistryUrl} serves neither signing keys nor attestations (a mirror cannot say whether there are any)`,
      );
    if (doc === undefined) return no('absent', 'the registry has no attestations for this version');
    try {
      return judgeNpmAttestations(doc, top, await this.trust.material(keys));
    } catch (err) {
      return no('unverifiable', `no Sigstore trust root: ${(err as Error).message.slice(0, 160)}`);
    }
  }

  /** The facts of the npm tree installed in `dir`, whose top package is `name`. */
  async checkNpm(dir: string, name?: string): Promise<SupplyChain> {
    const started = this.now();
    const tree = await installedTree(dir).catch(() => [] as TreeEntry[]);
    const top = name ? tree.find((p) => p.where === `node_modules/${name}`) : undefined;
    // Asked for at once, beside the keys (a mirror answers both with nothing).
    const attestations =
      top && this.trust
        ? this.fetchJson(attestationsUrl(this.npmRegistryUrl, top.name, top.version))
        : undefined;
    attestations?.catch(() => undefined); // judged (and its failure reported) in provenance()
    const provenance = (keys: RegistryKey[] | undefined) => this.provenance(top, attestations, keys);
    const done = (o: Partial<SupplyChain> & Pick<SupplyChain, 'signatures' | 'provenance'>): SupplyChain => ({
      packages: tree.length,
      verified: 0,
      missing: [],
      invalid: [],
      unchecked: [],
      ...o,
      checkedAt: new Date(started).toISOString(),
      ms: this.now() - started,
    });
    const keys = await this.registryKeys();
    if (!keys || keys.length === 0)
      return done({
        signatures: 'unverifiable',
        reason: `${this.npmRegistryUrl} publishes no signing keys (/-/npm/v1/keys)`,
        provenance: await provenance(undefined),
      });
    const provenanceChecked = provenance(keys);
    let verified = 0;
    const missing: string[] = [];
    const invalid: SupplyChain['invalid'] = [];
    const unchecked: string[] = [];
    await eachLimited(tree, async (p) => {
      const id = `${p.name}@${p.version}`;
      const doc = (await this.fetchJson(`${this.npmRegistryUrl}/${encodeNpmName(p.name)}`).catch(
        () => undefined,
      )) as
        | {
            versions?: Record<string, { dist?: { integrity?: string; signatures?: [] } }>;
            time?: Record<string, string>;
          }
        | undefined;
      const dist = doc?.versions?.[p.version]?.dist;
      if (!dist) {
        unchecked.push(id);
        return;
      }
      if (p.integrity && dist.integrity && p.integrity !== dist.integrity) {
        invalid.push({ package: id, reason: 'the installed integrity differs from the registry’s' });
        return;
      }
      const verdict = verifyRegistrySignature(
        {
          name: p.name,
          version: p.version,
          integrity: dist.integrity,
          signatures: dist.signatures,
          publishedAt: doc?.time?.[p.version],
        },
        keys,
        this.now(),
      );
      if (verdict.status === 'verified') verified++;
      else if (verdict.status === 'missing') missing.push(id);
      else if (verdict.status === 'invalid') invalid.push({ package: id, reason: verdict.reason });
      else unchecked.push(id);
    });
    const signatures = invalid.length
      ? 'invalid'
      : missing.length
        ? 'missing'
        : unchecked.length
          ? 'unverifiable'
          : 'verified';
    return done({
      signatures,
      provenance: await provenanceChecked,
      verified,
      missing: missing.sort().slice(0, LISTED),
      invalid: invalid.sort((a, b) => a.package.localeCompare(b.package)).slice(0, LISTED),
      unchecked: unchecked.sort().slice(0, LISTED),
    });
  }

  /** PyPI: no registry signatures; the PEP 740 provenance of `file`, the file pip installed. */
  async checkPypi(name: string, file: InstalledFile | undefined, packages: number): Promise<SupplyChain> {
    const started = this.now();
    const provenance = await this.pypiProvenance(name, file);
    return {
      signatures: 'unverifiable',
      packages,
      verified: 0,
      missing: [],
      invalid: [],
      unchecked: [],
      reason: 'PyPI publishes no registry signatures (its attestations are provenance)',
      provenance,
      checkedAt: new Date(started).toISOString(),
      ms: this.now() - started,
    };
  }

  private async pypiProvenance(name: string, file: InstalledFile | undefined): Promise<Provenance> {
    const no = notVerified;
    if (!this.trust || !this.o.pypiFile) return no('unverifiable', 'provenance is not checked here');
    if (!file)
      return no('unverifiable', 'the installer did not record which file it installed (uv, pip before 22.2)');
    const listed = await this.o.pypiFile(name, file.filename, file.sha256).catch(() => undefined);
    if (!listed) return no('unverifiable', `no index lists ${file.filename} with its sha256`);
    if (listed.provenance === null) return no('absent', `the index says ${file.filename} has no provenance`);
    if (!listed.provenance)
      return no('unverifiable', `the index publishes no provenance links (PEP 740) for ${file.filename}`);
    try {
      const doc = await (this.o.fetchPypiJson ?? this.fetchJson)(listed.provenance);
      return judgePypiProvenance(doc, file, await this.trust.material(undefined));
    } catch (err) {
      return no(
        'unverifiable',
        `the provenance could not be checked: ${(err as Error).message.slice(0, 160)}`,
      );
    }
  }
}
