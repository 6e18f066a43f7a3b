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
import type { TrustMaterial } from '@sigstore/verify';
import {
  AttestationVerifier,
  aboutArtifact,
  notVerified,
  type Provenance,
  Refused,
  type Verified,
} from './sigstore-attestation.js';

const SLSA = 'https://slsa.dev/provenance/';
const NPM_PUBLISH = 'https://github.com/npm/attestation/tree/main/specs/publish/';

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

/**
 * Judges an attestations document for `name@version` whose tarball has `integrity`.
 * `doc` undefined: the registry has none for it.
 */
export function judgeNpmAttestations(
  doc: unknown,
  pkg: { name: string; version: string; integrity?: string | undefined },
  trust: { trust: TrustMaterial; source: string },
): Provenance {
  const no = notVerified;
  const list = (doc as { attestations?: unknown } | undefined)?.attestations;
  if (doc === undefined) return no('absent', 'the registry has no attestations for this version');
  if (!Array.isArray(list)) return no('invalid', 'the attestations document has no attestations list');
  const sha512 = sha512Hex(pkg.integrity);
  if (!sha512) return no('unverifiable', 'the installed package has no sha512 integrity to compare');
  const subject = aboutArtifact(npmPurl(pkg.name, pkg.version), 'sha512', sha512, 'tarball');
  const verifier = new AttestationVerifier(trust.trust);
  let publish: 'verified' | 'absent' | 'unverifiable' = 'absent';
  let provenance: Verified | undefined;
  for (const item of list as Array<{ predicateType?: string; bundle?: unknown }>) {
    const type = String(item?.predicateType ?? '');
    const kind = type.startsWith(SLSA) ? 'provenance' : type.startsWith(NPM_PUBLISH) ? 'publish' : undefined;
    if (!kind) continue;
    try {
      const checked = verifier.verify(item.bundle, subject);
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
  const claims = provenance.claims;
  if (!claims?.repository) return no('unverifiable', 'the provenance certificate names no source repository');
  const claimed = provenance.statement.predicate?.buildDefinition?.externalParameters?.workflow?.repository;
  if (claimed && claimed !== claims.repository)
    return no('invalid', `the statement says ${claimed}, its certificate ${claims.repository}`);
  return {
    status: 'verified',
    verified: true,
    ...claims,
    repository: claims.repository,
    publish,
    trust: trust.source,
  };
}
