/**
 * A Sigstore instance of the tests' own: Sigstore's public instance cannot be reached here, so its
 * services are stood in for in their documented formats — a Fulcio-like certificate authority (P-384
 * root, leaf certificates with Fulcio's OID extensions and an RFC 6962 SCT from a CT log key), and a
 * Rekor-like transparency log (a `dsse` entry, its signed entry timestamp and a one-leaf inclusion proof
 * with a signed checkpoint). It signs in-toto statements the way `npm publish --provenance` does and the
 * way the registry signs its publish attestation (its own key, named by key id). `trustedRoot` is the
 * trusted_root.json that vouches for it all. Certificates are made with @peculiar/x509.
 */
import crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { json, X509Certificate } from '@sigstore/core';

export const SLSA_V1 = 'https://slsa.dev/provenance/v1';
export const NPM_PUBLISH = 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1';
const IN_TOTO = 'application/vnd.in-toto+json';
const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const OID_SCT = '1.3.6.1.4.1.11129.2.4.2';
const ECDSA_P384 = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' };
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

x509.cryptoProvider.set(crypto.webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** What the CI identity says (Fulcio's GitHub Actions extensions). */
export interface BuildIdentity {
  repository: string; // https://github.com/owner/repo
  commit: string;
  ref: string;
  workflow: string; // .github/workflows/release.yml
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64');
const sha256 = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');
const pae = (type: string, body: Buffer) =>
  Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
const pem = (der: Buffer, label: string) =>
  `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`;
const p256 = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
const spki = (k: crypto.KeyObject) => k.export({ type: 'spki', format: 'der' });

export async function startSigstoreInstance(start = new Date(Date.now() - 3600_000)) {
  const subtle = crypto.webcrypto.subtle;
  const caKeys = (await subtle.generateKey(ECDSA_P384, true, [
    'sign',
    'verify',
  ])) as crypto.webcrypto.CryptoKeyPair;
  const ctKeys = p256();
  const tlogKeys = p256();
  const ctLogId = crypto.createHash('sha256').update(spki(ctKeys.publicKey)).digest();
  const tlogId = crypto.createHash('sha256').update(spki(tlogKeys.publicKey)).digest();
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=sigstore,O=sigstore.mock',
    notBefore: start,
    notAfter: new Date(start.getTime() + 10 * 365 * 86400_000),
    signingAlgorithm: ECDSA_P384,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const rootDer = Buffer.from(root.rawData);
  const caSpki = Buffer.from(await subtle.exportKey('spki', caKeys.publicKey));
  const validFor = { start: start.toISOString() };

  /** A leaf certificate for `publicKey` with Fulcio's extensions and an SCT, as Fulcio issues them. */
  async function issue(publicKey: crypto.KeyObject, san: string, extensions: Array<[string, string]>) {
    const now = new Date();
    const key = await subtle.importKey('spki', spki(publicKey), ECDSA_P256, true, ['verify']);
    const base = {
      serialNumber: crypto.randomBytes(8).toString('hex'),
      issuer: root.subject,
      subject: '',
      notBefore: new Date(now.getTime() - 1000),
      notAfter: new Date(now.getTime() + 10 * 60_000),
      signingAlgorithm: ECDSA_P384,
      publicKey: key,
      signingKey: caKeys.privateKey,
    };
    const exts = () => [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning]),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: san }], true),
      ...extensions.map(
        ([oid, value]) =>
          new x509.Extension(
            oid,
            false,
            Buffer.concat([Buffer.from([0x0c, value.length]), Buffer.from(value)]),
          ),
      ),
    ];
    const pre = await x509.X509CertificateGenerator.create({ ...base, extensions: exts() });
    const tbs = X509Certificate.parse(Buffer.from(pre.rawData)).tbsCertificate.toDER();
    const time = Buffer.alloc(8);
    time.writeBigUInt64BE(BigInt(now.getTime()));
    const signed = Buffer.concat([
      Buffer.from([0, 0]),
      time,
      u16(1),
      crypto.createHash('sha256').update(caSpki).digest(),
      u24(tbs.length),
      tbs,
      u16(0),
    ]);
    const sig = crypto.sign('sha256', signed, ctKeys.privateKey);
    const sct = Buffer.concat([
      Buffer.from([0]),
      ctLogId,
      time,
      u16(0),
      Buffer.from([4, 3]),
      u16(sig.length),
      sig,
    ]);
    const list = Buffer.concat([u16(sct.length + 2), u16(sct.length), sct]);
    const value = Buffer.concat([Buffer.from([0x04, list.length]), list]);
    const cert = await x509.X509CertificateGenerator.create({
      ...base,
      extensions: [...exts(), new x509.Extension(OID_SCT, false, value)],
    });
    return Buffer.from(cert.rawData);
  }

  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: 'https://rekor.test',
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: b64(spki(tlogKeys.publicKey)),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor,
        },
        logId: { keyId: b64(tlogId) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: 'https://fulcio.test',
        certChain: { certificates: [{ rawBytes: b64(rootDer) }] },
        validFor,
      },
    ],
    ctlogs: [
      {
        baseUrl: 'https://ctfe.test',
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(spki(ctKeys.publicKey)), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor },
        logId: { keyId: b64(ctLogId) },
      },
    ],
    timestampAuthorities: [],
  };

  let nextIndex = 1000;
  /** Logs a `dsse` entry as Rekor would: its signed entry timestamp, and a one-leaf tree's proof. */
  function tlogLog(body: object) {
    const canonical = Buffer.from(json.canonicalize(body));
    const logIndex = nextIndex++;
    const integratedTime = Math.floor(Date.now() / 1000);
    const set = crypto.sign(
      'sha256',
      Buffer.from(
        json.canonicalize({ body: b64(canonical), integratedTime, logIndex, logID: tlogId.toString('hex') }),
      ),
      tlogKeys.privateKey,
    );
    const rootHash = crypto
      .createHash('sha256')
      .update(Buffer.from([0]))
      .update(canonical)
      .digest();
    const note = `rekor.test - 1\n1\n${b64(rootHash)}\n`;
    const noteSig = Buffer.concat([
      tlogId.subarray(0, 4),
      crypto.sign('sha256', Buffer.from(note), tlogKeys.privateKey),
    ]);
    return {
      logIndex: String(logIndex),
      logId: { keyId: b64(tlogId) },
      kindVersion: { kind: 'dsse', version: '0.0.1' },
      integratedTime: String(integratedTime),
      inclusionPromise: { signedEntryTimestamp: b64(set) },
      inclusionProof: {
        logIndex: '0',
        rootHash: b64(rootHash),
        treeSize: '1',
        hashes: [],
        checkpoint: { envelope: `${note}\n\u2014 rekor.test ${b64(noteSig)}\n` },
      },
      canonicalizedBody: b64(canonical),
    };
  }

  /** Logs a `dsse` entry for the envelope and returns the bundle's tlog entry. */
  function logEntry(payload: Buffer, sig: Buffer, verifier: string) {
    const envelope = JSON.stringify({
      payload: b64(payload),
      payloadType: IN_TOTO,
      signatures: [{ sig: b64(sig) }],
    });
    const body = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(envelope) },
        payloadHash: { algorithm: 'sha256', value: sha256(payload) },
        signatures: [{ signature: b64(sig), verifier: b64(verifier) }],
      },
    };
    return tlogLog(body);
  }

  /** A provenance bundle, as a GitHub Actions run with `identity` publishing `statement` would make it. */
  async function provenanceBundle(statement: object, identity: BuildIdentity) {
    const key = p256();
    const owner = new URL(identity.repository).pathname.slice(1);
    const signer = `${identity.repository}/${identity.workflow}@${identity.ref}`;
    const cert = await issue(key.publicKey, signer, [
      ['1.3.6.1.4.1.57264.1.8', 'https://token.actions.githubusercontent.com'],
      ['1.3.6.1.4.1.57264.1.9', signer],
      ['1.3.6.1.4.1.57264.1.11', 'github-hosted'],
      ['1.3.6.1.4.1.57264.1.12', identity.repository],
      ['1.3.6.1.4.1.57264.1.13', identity.commit],
      ['1.3.6.1.4.1.57264.1.14', identity.ref],
      ['1.3.6.1.4.1.57264.1.15', owner],
      ['1.3.6.1.4.1.57264.1.21', `${identity.repository}/actions/runs/1/attempts/1`],
    ]);
    const payload = Buffer.from(JSON.stringify(statement));
    const sig = crypto.sign('sha256', pae(IN_TOTO, payload), key.privateKey);
    return {
      mediaType: BUNDLE_V03,
      verificationMaterial: {
        certificate: { rawBytes: b64(cert) },
        tlogEntries: [logEntry(payload, sig, pem(cert, 'CERTIFICATE'))],
      },
      dsseEnvelope: {
        payload: b64(payload),
        payloadType: IN_TOTO,
        signatures: [{ sig: b64(sig), keyid: '' }],
      },
    };
  }

  /** A publish attestation signed by a registry key `keyid`. */
  async function publishBundle(statement: object, key: crypto.KeyObject, keyid: string) {
    const payload = Buffer.from(JSON.stringify(statement));
    const sig = crypto.sign('sha256', pae(IN_TOTO, payload), key);
    const publicPem = crypto.createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
    return {
      mediaType: BUNDLE_V03,
      verificationMaterial: {
        publicKey: { hint: keyid },
        tlogEntries: [logEntry(payload, sig, publicPem)],
      },
      dsseEnvelope: { payload: b64(payload), payloadType: IN_TOTO, signatures: [{ sig: b64(sig), keyid }] },
    };
  }

  return { trustedRoot, provenanceBundle, publishBundle };
}

/** The in-toto statement npm makes for `name@version` with the tarball's sha512 (hex). */
export function npmStatement(
  predicateType: string,
  name: string,
  version: string,
  sha512: string,
  identity?: BuildIdentity,
) {
  const purl = `pkg:npm/${name.startsWith('@') ? `%40${name.slice(1)}` : name}@${version}`;
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: purl, digest: { sha512 } }],
    predicateType,
    predicate:
      predicateType === SLSA_V1 && identity
        ? {
            buildDefinition: {
              buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
              externalParameters: {
                workflow: { ref: identity.ref, repository: identity.repository, path: identity.workflow },
              },
              resolvedDependencies: [
                { uri: `git+${identity.repository}@${identity.ref}`, digest: { gitCommit: identity.commit } },
              ],
            },
            runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' } },
          }
        : { name, version, registry: 'https://registry.npmjs.org' },
  };
}

/** A registry signing key as `/-/npm/v1/keys` lists it, with its private half. */
export function registryKey(expires: string | null = null) {
  const { publicKey, privateKey } = p256();
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const keyid = `SHA256:${crypto.createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
  return {
    privateKey,
    listed: { expires, keyid, keytype: 'ecdsa-sha2-nistp256', scheme: 'ecdsa-sha2-nistp256', key: b64(der) },
  };
}

export const PYPI_PUBLISH = 'https://docs.pypi.org/attestations/publish/v1';

/**
 * A PEP 740 provenance object for a distribution file, as PyPI serves it for a Trusted Publisher
 * upload: the attestation in PyPI's form (certificate, transparency entries, envelope) and its publisher.
 */
export async function pep740Provenance(
  sigstore: Awaited<ReturnType<typeof startSigstoreInstance>>,
  file: { filename: string; sha256: string },
  identity: BuildIdentity,
  publisherRepository = new URL(identity.repository).pathname.slice(1),
) {
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: file.filename, digest: { sha256: file.sha256 } }],
    predicateType: PYPI_PUBLISH,
    predicate: null,
  };
  const bundle = await sigstore.provenanceBundle(statement, identity);
  return {
    version: 1,
    attestation_bundles: [
      {
        publisher: {
          kind: 'GitHub',
          repository: publisherRepository,
          workflow: 'release.yml',
          environment: null,
        },
        attestations: [
          {
            version: 1,
            verification_material: {
              certificate: bundle.verificationMaterial.certificate.rawBytes,
              transparency_entries: bundle.verificationMaterial.tlogEntries,
            },
            envelope: {
              statement: bundle.dsseEnvelope.payload,
              signature: bundle.dsseEnvelope.signatures[0]?.sig,
            },
          },
        ],
      },
    ],
  };
}
