/**
 * @module npm provenance, checked the way `npm audit signatures` checks attestations: the registry's
 * `/-/npm/v1/attestations/name@version` document holds Sigstore bundles (DSSE envelopes of in-toto
 * statements). Each is verified with @sigstore/verify against the trusted root — the signing certificate
 * chains to Fulcio, its SCT and the Rekor entry verify, the signature covers the envelope — and its
 * statement must name this package (`pkg:npm/name@version`) with the tarball's sha512. The SLSA
 * provenance bundle's certificate then says, as Fulcio vouched from the CI's identity token, which
 * repository, commit and workflow built the package. npm's publish attestation (signed with npm's key)
 * is checked too when its key is known. Pure, given the document and the trust material.
 */
import { bundleFromJSON } from '@sigstore/bundle';
import { ASN1Obj, X509Certificate } from '@sigstore/core';
import { type TrustMaterial, toSignedEntity, Verifier } from '@sigstore/verify';

/** What provenance a package has. `verified` carries what the signing certificate says. */
export type Provenance =
  | {
      status: 'verified';
      verified: true;
      /** Source repository URI, commit and ref, and the workflow that built it (Fulcio extensions). */
      repository: string;
      commit?: string;
      ref?: string;
      workflow?: string;
      issuer?: string;
      runnerEnvironment?: string;
      runInvocation?: string;
      /** The transparency log entry. */
      logIndex?: string;
      signedAt?: string;
      /** npm's own publish attestation. */
      publish: 'verified' | 'absent' | 'unverifiable';
      trust: string;
    }
  | { status: 'absent' | 'unverifiable' | 'invalid'; verified: false; reason: string };

const SLSA = 'https://slsa.dev/provenance/';
const NPM_PUBLISH = 'https://github.com/npm/attestation/tree/main/specs/publish/';
const IN_TOTO = 'application/vnd.in-toto+json';
/** Fulcio certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). */
const OID = {
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  issuer: '1.3.6.1.4.1.57264.1.8',
  buildSignerURI: '1.3.6.1.4.1.57264.1.9',
  runnerEnvironment: '1.3.6.1.4.1.57264.1.11',
  sourceRepositoryURI: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  runInvocationURI: '1.3.6.1.4.1.57264.1.21',
} as const;
/** Verification failures that say the trust at hand cannot judge the bundle, not that it is false. */
const CANNOT_JUDGE = /no trusted certificate path found|key not found|expected \d+ SCTs, got 0/;

/** The package URL an npm attestation names. */
export function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.startsWith('@') ? `%40${name.slice(1)}` : name}@${version}`;
}

/** The hex sha512 of an SRI integrity string (`sha512-…`), if it has one. */
export function sha512Hex(integrity: string | undefined): string | undefined {
  const b64 = /(?:^|\s)sha512-([A-Za-z0-9+/=]+)/.exec(integrity ?? '')?.[1];
  return b64 ? Buffer.from(b64, 'base64').toString('hex') : undefined;
}

/** The attestations URL for a version (npm encodes the scope's slash). */
export function attestationsUrl(registry: string, name: string, version: string): string {
  return `${registry}/-/npm/v1/attestations/${name.replace('/', '%2f')}@${version}`;
}

/** A Fulcio v2 extension's text (DER UTF8String), or the raw text of a legacy one. */
function extension(cert: X509Certificate, oid: string): string | undefined {
  const ext = cert.extension(oid);
  if (!ext) return undefined;
  if (oid === OID.issuerV1) return ext.value.toString('utf8');
  try {
    return ASN1Obj.parseBuffer(Buffer.from(ext.value)).value.toString('utf8');
  } catch {
    return undefined;
  }
}

interface Statement {
  _type?: string;
  subject?: Array<{ name?: string; digest?: Record<string, string> }>;
  predicateType?: string;
  predicate?: { buildDefinition?: { externalParameters?: { workflow?: { repository?: string } } } };
}

class Refused extends Error {
  constructor(
    readonly status: 'invalid' | 'unverifiable',
    message: string,
  ) {
    super(message);
  }
}

/** Verifies one attestation; returns its statement and signing certificate. @throws Refused */
function verifyOne(
  raw: unknown,
  subject: { purl: string; sha512: string },
  verifier: { verifier: Verifier; knowsLog: (id: Buffer) => boolean },
): { statement: Statement; cert?: X509Certificate; logIndex?: string; signedAt?: string } {
  let bundle: ReturnType<typeof bundleFromJSON>;
  try {
    bundle = bundleFromJSON(raw);
  } catch (err) {
    throw new Refused('invalid', `not a Sigstore bundle: ${(err as Error).message.slice(0, 120)}`);
  }
  if (bundle.content.$case !== 'dsseEnvelope')
    throw new Refused('invalid', 'the bundle holds no DSSE envelope');
  for (const entry of bundle.verificationMaterial.tlogEntries)
    if (!verifier.knowsLog(entry.logId.keyId))
      throw new Refused(
        'unverifiable',
        `its transparency log (${entry.logId.keyId.toString('base64').slice(0, 12)}…) is not in the trusted root`,
      );
  try {
    verifier.verifier.verify(toSignedEntity(bundle));
  } catch (err) {
    const why = `${(err as { code?: string }).code ?? ''} ${(err as Error).message}`.trim();
    throw new Refused(CANNOT_JUDGE.test(why) ? 'unverifiable' : 'invalid', why.slice(0, 200));
  }
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO) throw new Refused('invalid', `payload type ${envelope.payloadType}`);
  let statement: Statement;
  try {
    statement = JSON.parse(envelope.payload.toString('utf8')) as Statement;
  } catch {
    throw new Refused('invalid', 'the signed statement is not JSON');
  }
  const named = (statement.subject ?? []).find((s) => s.name === subject.purl);
  if (!named)
    throw new Refused('invalid', `the statement is for ${statement.subject?.[0]?.name ?? 'nothing'}`);
  if (named.digest?.sha512?.toLowerCase() !== subject.sha512)
    throw new Refused(
      'invalid',
      `the statement is for another tarball (sha512 ${String(named.digest?.sha512).slice(0, 16)}…, installed ${subject.sha512.slice(0, 16)}…)`,
    );
  const material = bundle.verificationMaterial;
  const certBytes =
    material.content.$case === 'x509CertificateChain'
      ? material.content.x509CertificateChain.certificates[0]?.rawBytes
      : material.content.$case === 'certificate'
        ? material.content.certificate.rawBytes
        : undefined;
  const entry = material.tlogEntries[0];
  return {
    statement,
    ...(certBytes ? { cert: X509Certificate.parse(Buffer.from(certBytes)) } : {}),
    ...(entry ? { logIndex: entry.logIndex } : {}),
    ...(entry?.integratedTime
      ? { signedAt: new Date(Number(entry.integratedTime) * 1000).toISOString() }
      : {}),
  };
}

/**
 * Judges an attestations document for `name@version` whose tarball has `integrity`.
 * `doc` undefined: the registry has none for it.
 */
export function judgeNpmAttestations(
  doc: unknown,
  pkg: { name: string; version: string; integrity?: string | undefined },
  trust: { trust: TrustMaterial; source: string },
): Provenance {
  const no = (status: 'absent' | 'unverifiable' | 'invalid', reason: string): Provenance => ({
    status,
    verified: false,
    reason,
  });
  const list = (doc as { attestations?: unknown } | undefined)?.attestations;
  if (doc === undefined) return no('absent', 'the registry has no attestations for this version');
  if (!Array.isArray(list)) return no('invalid', 'the attestations document has no attestations list');
  const sha512 = sha512Hex(pkg.integrity);
  if (!sha512) return no('unverifiable', 'the installed package has no sha512 integrity to compare');
  const subject = { purl: npmPurl(pkg.name, pkg.version), sha512 };
  const verifier = {
    verifier: new Verifier(trust.trust),
    knowsLog: (id: Buffer) => trust.trust.tlogs.some((t) => t.logID.equals(id)),
  };
  let publish: 'verified' | 'absent' | 'unverifiable' = 'absent';
  let provenance: ReturnType<typeof verifyOne> | undefined;
  for (const item of list as Array<{ predicateType?: string; bundle?: unknown }>) {
    const type = String(item?.predicateType ?? '');
    const kind = type.startsWith(SLSA) ? 'provenance' : type.startsWith(NPM_PUBLISH) ? 'publish' : undefined;
    if (!kind) continue;
    try {
      const checked = verifyOne(item.bundle, subject, verifier);
      if (checked.statement.predicateType !== type)
        throw new Refused('invalid', `the statement's predicate is ${checked.statement.predicateType}`);
      if (kind === 'publish') publish = 'verified';
      else provenance = checked;
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      if (err.status === 'invalid') return no('invalid', `${kind} attestation: ${err.message}`);
      if (kind === 'publish') publish = 'unverifiable';
      else return no('unverifiable', `provenance attestation: ${err.message} (trust: ${trust.source})`);
    }
  }
  if (!provenance) return no('absent', 'published without a provenance attestation');
  const cert = provenance.cert;
  const repository = cert && extension(cert, OID.sourceRepositoryURI);
  if (!cert || !repository)
    return no('unverifiable', 'the provenance certificate names no source repository');
  const claimed = provenance.statement.predicate?.buildDefinition?.externalParameters?.workflow?.repository;
  if (claimed && claimed !== repository)
    return no('invalid', `the statement says ${claimed}, its certificate ${repository}`);
  const opt = (key: string, value: string | undefined) => (value ? { [key]: value } : {});
  return {
    status: 'verified',
    verified: true,
    repository,
    ...opt('commit', extension(cert, OID.sourceRepositoryDigest)),
    ...opt('ref', extension(cert, OID.sourceRepositoryRef)),
    ...opt('workflow', extension(cert, OID.buildSignerURI)),
    ...opt('issuer', extension(cert, OID.issuer) ?? extension(cert, OID.issuerV1)),
    ...opt('runnerEnvironment', extension(cert, OID.runnerEnvironment)),
    ...opt('runInvocation', extension(cert, OID.runInvocationURI)),
    ...opt('logIndex', provenance.logIndex),
    ...opt('signedAt', provenance.signedAt),
    publish,
    trust: trust.source,
  };
}
