/**
 * @module PyPI provenance (PEP 740): an index that supports it links each file to a provenance object
 * (`provenance` in the PEP 691 JSON page, `data-provenance` in HTML; pypi.org serves it from its
 * integrity API). The object holds attestation bundles, each with the Trusted Publisher that made it
 * (`{kind: "GitHub", repository: "owner/repo", workflow}`) and attestations in PyPI's form: a DSSE
 * envelope (`statement`, `signature`) and verification material (`certificate`, `transparency_entries`).
 * Each is turned into the Sigstore bundle it stands for and verified like npm's (sigstore-attestation.ts);
 * its statement must name the installed file by filename with its sha256, and its certificate must name
 * the publisher's repository. Pure, given the object and the trust material.
 */
import type { TrustMaterial } from '@sigstore/verify';
import {
  AttestationVerifier,
  aboutArtifact,
  IN_TOTO,
  notVerified,
  type Provenance,
  Refused,
  type Verified,
} from './sigstore-attestation.js';

const PYPI_PUBLISH = 'https://docs.pypi.org/attestations/publish/';
const SLSA = 'https://slsa.dev/provenance/';
const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** Where each Trusted Publisher kind's repositories live (the certificate's source repository URI). */
const FORGES: Record<string, string> = { github: 'https://github.com', gitlab: 'https://gitlab.com' };

interface Pep740Attestation {
  version?: number;
  verification_material?: { certificate?: string; transparency_entries?: unknown[] };
  envelope?: { statement?: string; signature?: string };
}

interface Pep740Provenance {
  version?: number;
  attestation_bundles?: Array<{
    publisher?: { kind?: string; repository?: string };
    attestations?: Pep740Attestation[];
  }>;
}

/** The Sigstore bundle a PEP 740 attestation stands for. */
export function pep740ToBundle(a: Pep740Attestation): unknown {
  return {
    mediaType: BUNDLE_V03,
    verificationMaterial: {
      certificate: { rawBytes: a.verification_material?.certificate },
      tlogEntries: a.verification_material?.transparency_entries ?? [],
    },
    dsseEnvelope: {
      payload: a.envelope?.statement,
      payloadType: IN_TOTO,
      signatures: [{ sig: a.envelope?.signature, keyid: '' }],
    },
  };
}

/** The statement must name the file with its sha256, as PyPI's publish (or a SLSA) attestation. */
function aboutFile(filename: string, sha256: string) {
  const named = aboutArtifact(filename, 'sha256', sha256, 'file');
  return (statement: Verified['statement']) => {
    named(statement);
    const type = String(statement.predicateType ?? '');
    if (!type.startsWith(PYPI_PUBLISH) && !type.startsWith(SLSA))
      throw new Refused('invalid', `the statement's predicate is ${type || 'missing'}`);
  };
}

/** Judges a PEP 740 provenance object for the installed `file` (`doc` undefined: none served). */
export function judgePypiProvenance(
  doc: unknown,
  file: { filename: string; sha256: string },
  trust: { trust: TrustMaterial; source: string },
): Provenance {
  const no = notVerified;
  if (doc === undefined) return no('absent', `the index has no provenance for ${file.filename}`);
  const bundles = (doc as Pep740Provenance | null)?.attestation_bundles;
  if (!Array.isArray(bundles) || bundles.length === 0)
    return no('invalid', 'the provenance object has no attestation bundles');
  const verifier = new AttestationVerifier(trust.trust);
  const subject = aboutFile(file.filename, file.sha256);
  let verified: (Verified & { publisher?: { kind?: string; repository?: string } }) | undefined;
  for (const bundle of bundles)
    for (const attestation of bundle?.attestations ?? []) {
      try {
        const checked = verifier.verify(pep740ToBundle(attestation), subject);
        verified ??= { ...checked, ...(bundle.publisher ? { publisher: bundle.publisher } : {}) };
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
        if (err.status === 'invalid') return no('invalid', `attestation: ${err.message}`);
        return no('unverifiable', `attestation: ${err.message} (trust: ${trust.source})`);
      }
    }
  if (!verified) return no('absent', 'the provenance object holds no attestation');
  const claims = verified.claims;
  if (!claims?.repository)
    return no('unverifiable', 'the attestation certificate names no source repository');
  const forge = FORGES[String(verified.publisher?.kind ?? '').toLowerCase()];
  const publisherRepo =
    forge && verified.publisher?.repository ? `${forge}/${verified.publisher.repository}` : undefined;
  if (publisherRepo && publisherRepo.toLowerCase() !== claims.repository.toLowerCase())
    return no('invalid', `the publisher is ${publisherRepo}, its certificate ${claims.repository}`);
  return {
    status: 'verified',
    verified: true,
    ...claims,
    repository: claims.repository,
    publish: 'verified',
    trust: trust.source,
  };
}
