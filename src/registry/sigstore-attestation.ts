/**
 * @module One Sigstore attestation verified (the part npm's and PyPI's provenance share): a bundle
 * holding a DSSE envelope of an in-toto statement, verified with @sigstore/verify against the trust
 * material — the certificate chains to a trusted Fulcio and its SCT verifies (or the key is a trusted
 * one named by its hint), the transparency log entry and its promise or proof verify, the signature
 * covers the envelope — and the statement's subject checked by the caller. What the signing
 * certificate says of the build (Fulcio's extensions) is read out. Pure, given the trust material.
 */
import { bundleFromJSON } from '@sigstore/bundle';
import { ASN1Obj, X509Certificate } from '@sigstore/core';
import { type TrustMaterial, toSignedEntity, Verifier } from '@sigstore/verify';

/** What provenance a package has. `verified` carries what the signing certificate says. */
export type Provenance =
  | ({
      status: 'verified';
      verified: true;
      /** The attestation's publish half: npm's own (signed with npm's key), or PyPI's (the one checked). */
      publish: 'verified' | 'absent' | 'unverifiable';
      /** Where the trusted root came from. */
      trust: string;
    } & BuildClaims)
  | { status: 'absent' | 'unverifiable' | 'invalid'; verified: false; reason: string };

/** What Fulcio vouched for from the CI's identity token, and the transparency log entry. */
export interface BuildClaims {
  /** Source repository URI, commit and ref, and the workflow that built it. */
  repository: string;
  commit?: string;
  ref?: string;
  workflow?: string;
  issuer?: string;
  runnerEnvironment?: string;
  runInvocation?: string;
  logIndex?: string;
  signedAt?: string;
}

export const IN_TOTO = 'application/vnd.in-toto+json';
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

export interface Statement {
  _type?: string;
  subject?: Array<{ name?: string; digest?: Record<string, string> }>;
  predicateType?: string;
  predicate?: { buildDefinition?: { externalParameters?: { workflow?: { repository?: string } } } } | null;
}

/** A verdict short of `verified`: `invalid` (provably false) or `unverifiable` (the trust cannot say). */
export class Refused extends Error {
  constructor(
    readonly status: 'invalid' | 'unverifiable',
    message: string,
  ) {
    super(message);
  }
}

/** A verdict short of `verified`. */
export function notVerified(status: 'absent' | 'unverifiable' | 'invalid', reason: string): Provenance {
  return { status, verified: false, reason };
}

/**
 * A subject check: the statement must name `name` with `digest` (hex) under `algorithm` — the
 * artifact at hand, not another one. @throws Refused
 */
export function aboutArtifact(name: string, algorithm: 'sha256' | 'sha512', digest: string, what: string) {
  return (statement: Statement): void => {
    const named = (statement.subject ?? []).find((s) => s.name === name);
    if (!named)
      throw new Refused('invalid', `the statement is for ${statement.subject?.[0]?.name ?? 'nothing'}`);
    const attested = named.digest?.[algorithm]?.toLowerCase();
    if (attested !== digest)
      throw new Refused(
        'invalid',
        `the statement is for another ${what} (${algorithm} ${String(attested).slice(0, 16)}…, installed ${digest.slice(0, 16)}…)`,
      );
  };
}

export interface Verified {
  statement: Statement;
  /** The signing certificate's claims; undefined for a bundle signed with a plain key. */
  claims?: Partial<BuildClaims>;
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

function claimsOf(cert: X509Certificate): Partial<BuildClaims> {
  const out: Partial<BuildClaims> = {};
  const put = (key: keyof BuildClaims, value: string | undefined) => {
    if (value) out[key] = value;
  };
  put('repository', extension(cert, OID.sourceRepositoryURI));
  put('commit', extension(cert, OID.sourceRepositoryDigest));
  put('ref', extension(cert, OID.sourceRepositoryRef));
  put('workflow', extension(cert, OID.buildSignerURI));
  put('issuer', extension(cert, OID.issuer) ?? extension(cert, OID.issuerV1));
  put('runnerEnvironment', extension(cert, OID.runnerEnvironment));
  put('runInvocation', extension(cert, OID.runInvocationURI));
  return out;
}

/** Verifies attestations against one trust material. */
export class AttestationVerifier {
  private readonly verifier: Verifier;

  constructor(private readonly trust: TrustMaterial) {
    this.verifier = new Verifier(trust);
  }

  /**
   * Verifies one bundle; `subject` throws Refused when the statement is not about the artifact at hand.
   * @throws Refused
   */
  verify(raw: unknown, subject: (statement: Statement) => void): Verified {
    let bundle: ReturnType<typeof bundleFromJSON>;
    try {
      bundle = bundleFromJSON(raw);
    } catch (err) {
      throw new Refused('invalid', `not a Sigstore bundle: ${(err as Error).message.slice(0, 120)}`);
    }
    if (bundle.content.$case !== 'dsseEnvelope')
      throw new Refused('invalid', 'the bundle holds no DSSE envelope');
    for (const entry of bundle.verificationMaterial.tlogEntries)
      if (!this.trust.tlogs.some((t) => t.logID.equals(entry.logId.keyId)))
        throw new Refused(
          'unverifiable',
          `its transparency log (${entry.logId.keyId.toString('base64').slice(0, 12)}…) is not in the trusted root`,
        );
    try {
      this.verifier.verify(toSignedEntity(bundle));
    } catch (err) {
      const why = `${(err as { code?: string }).code ?? ''} ${(err as Error).message}`.trim();
      throw new Refused(CANNOT_JUDGE.test(why) ? 'unverifiable' : 'invalid', why.slice(0, 200));
    }
    const envelope = bundle.content.dsseEnvelope;
    if (envelope.payloadType !== IN_TOTO)
      throw new Refused('invalid', `payload type ${envelope.payloadType}`);
    let statement: Statement;
    try {
      statement = JSON.parse(envelope.payload.toString('utf8')) as Statement;
    } catch {
      throw new Refused('invalid', 'the signed statement is not JSON');
    }
    subject(statement);
    const material = bundle.verificationMaterial;
    const certBytes =
      material.content.$case === 'x509CertificateChain'
        ? material.content.x509CertificateChain.certificates[0]?.rawBytes
        : material.content.$case === 'certificate'
          ? material.content.certificate.rawBytes
          : undefined;
    if (!certBytes) return { statement };
    const entry = material.tlogEntries[0];
    return {
      statement,
      claims: {
        ...claimsOf(X509Certificate.parse(Buffer.from(certBytes))),
        ...(entry ? { logIndex: entry.logIndex } : {}),
        ...(entry?.integratedTime
          ? { signedAt: new Date(Number(entry.integratedTime) * 1000).toISOString() }
          : {}),
      },
    };
  }
}
