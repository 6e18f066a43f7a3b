/**
 * npm provenance with Sigstore (@sigstore/verify). Against the real public-good trust: a real bundle
 * Sigstore's public instance signed in 2022 (from sigstore-js's test fixtures: Fulcio certificate chain,
 * SCT, Rekor inclusion promise) verifies with the trusted root @sigstore/tuf ships, and fails changed.
 * Against the tests' own Sigstore instance (test/support/sigstore-instance.ts: npm's documented
 * attestation format, signed as `npm publish --provenance` and the registry sign): the repository,
 * commit and workflow come from the certificate; tampered variants are refused — another tarball, an
 * attestation of another digest or package, a payload changed after signing, a wrong key under the
 * right key id, a certificate from another authority, a statement that names another repository.
 */
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeNpmAttestations, sha512Hex } from '../../src/registry/npm-provenance.js';
import { registryKeysAsSigstore, SigstoreTrust } from '../../src/registry/sigstore-trust.js';
import { SupplyChainChecker } from '../../src/registry/supply-chain.js';
import {
  type BuildIdentity,
  NPM_PUBLISH,
  npmStatement,
  registryKey,
  SLSA_V1,
  startSigstoreInstance,
} from '../support/sigstore-instance.js';

const realBundle = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, '../fixtures/sigstore/public-good-dsse-2022.json'), 'utf8'),
);
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'mcp-gw-prov-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('the public-good Sigstore trust', () => {
  it('verifies a real public-good bundle with the trusted root (TUF, or the copy @sigstore/tuf ships)', async () => {
    const trust = new SigstoreTrust({ cacheDir: path.join(tmp, 'tuf'), timeoutMs: 5000 });
    const { trust: material, source } = await trust.material(undefined);
    expect(source).toMatch(/^(tuf https:\/\/tuf-repo-cdn\.sigstore\.dev|shipped with @sigstore\/tuf)/);
    const signer = new Verifier(material).verify(toSignedEntity(bundleFromJSON(realBundle)));
    expect(signer.identity).toMatchObject({
      subjectAlternativeName: 'brian@dehamer.com',
      extensions: { issuer: 'https://github.com/login/oauth' },
    });
    const changed = structuredClone(realBundle);
    changed.dsseEnvelope.payload = Buffer.from('hello, world?').toString('base64');
    expect(() => new Verifier(material).verify(toSignedEntity(bundleFromJSON(changed)))).toThrow();
    const otherTime = structuredClone(realBundle);
    otherTime.verificationMaterial.tlogEntries[0].integratedTime = '1667948288';
    expect(() => new Verifier(material).verify(toSignedEntity(bundleFromJSON(otherTime)))).toThrow(
      /inclusion promise/,
    );
  });
});

describe('npm attestations', () => {
  const identity: BuildIdentity = {
    repository: 'https://github.com/acme/weather-mcp',
    commit: 'c0ffee'.padEnd(40, '0'),
    ref: 'refs/tags/v1.0.0',
    workflow: '.github/workflows/release.yml',
  };
  const tarball = crypto.createHash('sha512').update('weather-mcp-1.0.0.tgz').digest();
  const integrity = `sha512-${tarball.toString('base64')}`;
  const hex = tarball.toString('hex');
  const pkg = { name: '@acme/weather-mcp', version: '1.0.0', integrity };
  let sigstore: Awaited<ReturnType<typeof startSigstoreInstance>>;
  const npmKey = registryKey();
  let trust: { trust: ReturnType<typeof toTrustMaterial>; source: string };
  let provenance: unknown;
  let publish: unknown;
  const doc = (...attestations: unknown[]) => ({ attestations });

  beforeAll(async () => {
    sigstore = await startSigstoreInstance();
    trust = {
      trust: toTrustMaterial(
        TrustedRoot.fromJSON(sigstore.trustedRoot),
        registryKeysAsSigstore([npmKey.listed]),
      ),
      source: 'test',
    };
    provenance = {
      predicateType: SLSA_V1,
      bundle: await sigstore.provenanceBundle(
        npmStatement(SLSA_V1, pkg.name, '1.0.0', hex, identity),
        identity,
      ),
    };
    publish = {
      predicateType: NPM_PUBLISH,
      bundle: await sigstore.publishBundle(
        npmStatement(NPM_PUBLISH, pkg.name, '1.0.0', hex),
        npmKey.privateKey,
        npmKey.listed.keyid,
      ),
    };
  });

  it('verifies provenance and names repository, commit and workflow from the certificate', () => {
    expect(sha512Hex(integrity)).toBe(hex);
    expect(judgeNpmAttestations(doc(publish, provenance), pkg, trust)).toMatchObject({
      status: 'verified',
      verified: true,
      repository: identity.repository,
      commit: identity.commit,
      ref: identity.ref,
      workflow: `${identity.repository}/${identity.workflow}@${identity.ref}`,
      issuer: 'https://token.actions.githubusercontent.com',
      publish: 'verified',
    });
  });

  it('refuses an attestation of another tarball, digest or package', async () => {
    const other = `sha512-${crypto.createHash('sha512').update('x').digest('base64')}`;
    expect(judgeNpmAttestations(doc(provenance), { ...pkg, integrity: other }, trust)).toMatchObject({
      status: 'invalid',
      reason: expect.stringContaining('another tarball'),
    });
    const forOther = {
      predicateType: SLSA_V1,
      bundle: await sigstore.provenanceBundle(
        npmStatement(SLSA_V1, pkg.name, '1.0.0', 'ab'.repeat(64), identity),
        identity,
      ),
    };
    expect(judgeNpmAttestations(doc(forOther), pkg, trust).status).toBe('invalid');
    expect(judgeNpmAttestations(doc(provenance), { ...pkg, name: '@acme/other' }, trust)).toMatchObject({
      status: 'invalid',
      reason: expect.stringContaining('statement is for pkg:npm/%40acme/weather-mcp@1.0.0'),
    });
  });

  it('refuses a payload changed after signing, and a wrong key under the right key id', () => {
    const changed = structuredClone(provenance) as { bundle: { dsseEnvelope: { payload: string } } };
    const statement = JSON.parse(Buffer.from(changed.bundle.dsseEnvelope.payload, 'base64').toString());
    statement.predicate.buildDefinition.externalParameters.workflow.path = '.github/workflows/evil.yml';
    changed.bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    expect(judgeNpmAttestations(doc(changed), pkg, trust).status).toBe('invalid');
    const impostor = registryKey();
    const wrongKey = {
      trust: toTrustMaterial(
        TrustedRoot.fromJSON(sigstore.trustedRoot),
        registryKeysAsSigstore([{ ...impostor.listed, keyid: npmKey.listed.keyid }]),
      ),
      source: 'test',
    };
    expect(judgeNpmAttestations(doc(publish, provenance), pkg, wrongKey)).toMatchObject({
      status: 'invalid',
      reason: expect.stringContaining('publish attestation'),
    });
    // A key id nobody knows: the publish attestation cannot be judged; provenance still is.
    const noKeys = { trust: toTrustMaterial(TrustedRoot.fromJSON(sigstore.trustedRoot)), source: 'test' };
    expect(judgeNpmAttestations(doc(publish, provenance), pkg, noKeys)).toMatchObject({
      status: 'verified',
      publish: 'unverifiable',
    });
  });

  it('cannot vouch for a certificate from another authority, and refuses a statement naming another repository', async () => {
    const elsewhere = await startSigstoreInstance();
    const foreign = {
      predicateType: SLSA_V1,
      bundle: await elsewhere.provenanceBundle(
        npmStatement(SLSA_V1, pkg.name, '1.0.0', hex, identity),
        identity,
      ),
    };
    expect(judgeNpmAttestations(doc(foreign), pkg, trust)).toMatchObject({
      status: 'unverifiable',
      reason: expect.stringContaining('not in the trusted root'),
    });
    const lying = {
      predicateType: SLSA_V1,
      bundle: await sigstore.provenanceBundle(
        npmStatement(SLSA_V1, pkg.name, '1.0.0', hex, {
          ...identity,
          repository: 'https://github.com/evil/fork',
        }),
        identity,
      ),
    };
    expect(judgeNpmAttestations(doc(lying), pkg, trust)).toMatchObject({
      status: 'invalid',
      reason: expect.stringContaining('https://github.com/evil/fork'),
    });
  });

  it('says absent without a provenance attestation, and invalid for what is not an attestation', () => {
    expect(judgeNpmAttestations(undefined, pkg, trust).status).toBe('absent');
    expect(judgeNpmAttestations(doc(publish), pkg, trust)).toMatchObject({
      status: 'absent',
      reason: expect.stringContaining('without a provenance attestation'),
    });
    expect(judgeNpmAttestations({ nothing: true }, pkg, trust).status).toBe('invalid');
    expect(
      judgeNpmAttestations(doc({ predicateType: SLSA_V1, bundle: { mediaType: 'x' } }), pkg, trust).status,
    ).toBe('invalid');
  });

  describe('through the checker, against a registry serving keys and attestations', () => {
    let server: Server;
    let url: string;
    let served: Record<string, unknown>;
    let dir: string;
    beforeAll(async () => {
      server = createServer((req, res) => {
        const body = served[req.url ?? ''];
        res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body ?? { error: 'Not found' }));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      dir = path.join(tmp, 'tree');
      const { mkdir } = await import('node:fs/promises');
      await mkdir(path.join(dir, 'node_modules'), { recursive: true });
      await writeFile(
        path.join(dir, 'node_modules', '.package-lock.json'),
        JSON.stringify({
          lockfileVersion: 3,
          packages: { 'node_modules/@acme/weather-mcp': { version: '1.0.0', integrity } },
        }),
      );
      await writeFile(path.join(tmp, 'root.json'), JSON.stringify(sigstore.trustedRoot));
    });
    afterAll(() => server?.close());
    const fetchJson = async (u: string) => {
      const res = await fetch(u);
      return res.status === 404 ? undefined : res.json();
    };
    const checker = () =>
      new SupplyChainChecker({
        npmRegistryUrl: url,
        fetchJson,
        trust: new SigstoreTrust({
          trustedRootFile: path.join(tmp, 'root.json'),
          cacheDir: tmp,
          timeoutMs: 5000,
        }),
      });

    it('verifies the top package’s provenance, says absent without attestations, unverifiable on a mirror', async () => {
      const signature = crypto
        .sign('sha256', Buffer.from(`${pkg.name}@1.0.0:${integrity}`), npmKey.privateKey)
        .toString('base64');
      const packument = {
        versions: {
          '1.0.0': { dist: { integrity, signatures: [{ keyid: npmKey.listed.keyid, sig: signature }] } },
        },
        time: { '1.0.0': new Date().toISOString() },
      };
      served = {
        '/-/npm/v1/keys': { keys: [npmKey.listed] },
        '/@acme%2Fweather-mcp': packument,
        '/-/npm/v1/attestations/@acme%2fweather-mcp@1.0.0': doc(publish, provenance),
      };
      const found = await checker().checkNpm(dir, pkg.name);
      expect(found).toMatchObject({
        signatures: 'verified',
        provenance: { status: 'verified', repository: identity.repository, publish: 'verified' },
      });
      delete served['/-/npm/v1/attestations/@acme%2fweather-mcp@1.0.0'];
      expect((await checker().checkNpm(dir, pkg.name)).provenance?.status).toBe('absent');
      served = {}; // a mirror: neither keys nor attestations
      expect((await checker().checkNpm(dir, pkg.name)).provenance).toMatchObject({
        status: 'unverifiable',
        reason: expect.stringContaining('neither signing keys nor attestations'),
      });
    });
  });
});
