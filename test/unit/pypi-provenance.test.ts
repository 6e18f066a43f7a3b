/**
 * PyPI provenance (PEP 740) against the tests' own Sigstore instance, in PyPI's documented form: a
 * Trusted Publisher's attestation of a wheel verifies and names the repository; one of another file or
 * digest, or whose certificate names another repository than its publisher, is refused; the simple
 * index's JSON and HTML pages carry the provenance links and hashes the check starts from.
 */
import crypto from 'node:crypto';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial } from '@sigstore/verify';
import { beforeAll, describe, expect, it } from 'vitest';
import { judgePypiProvenance } from '../../src/registry/pypi-provenance.js';
import { parseSimpleHtml, parseSimpleJson } from '../../src/registry/pypi-simple-index.js';
import { type BuildIdentity, pep740Provenance, startSigstoreInstance } from '../support/sigstore-instance.js';

const identity: BuildIdentity = {
  repository: 'https://github.com/acme/weather-py',
  commit: 'beef'.padEnd(40, '0'),
  ref: 'refs/tags/v1.0.0',
  workflow: '.github/workflows/release.yml',
};
const file = {
  filename: 'weather_py-1.0.0-py3-none-any.whl',
  sha256: crypto.createHash('sha256').update('wheel bytes').digest('hex'),
};

describe('PEP 740 provenance', () => {
  let sigstore: Awaited<ReturnType<typeof startSigstoreInstance>>;
  let trust: { trust: ReturnType<typeof toTrustMaterial>; source: string };
  beforeAll(async () => {
    sigstore = await startSigstoreInstance();
    trust = { trust: toTrustMaterial(TrustedRoot.fromJSON(sigstore.trustedRoot)), source: 'test' };
  });

  it('verifies a Trusted Publisher attestation of the installed file, naming repository and commit', async () => {
    const doc = await pep740Provenance(sigstore, file, identity);
    expect(judgePypiProvenance(doc, file, trust)).toMatchObject({
      status: 'verified',
      repository: identity.repository,
      commit: identity.commit,
      workflow: `${identity.repository}/${identity.workflow}@${identity.ref}`,
      publish: 'verified',
    });
  });

  it('refuses an attestation of another file or digest, or of another repository than its publisher', async () => {
    const other = await pep740Provenance(sigstore, { ...file, sha256: 'ab'.repeat(32) }, identity);
    expect(judgePypiProvenance(other, file, trust)).toMatchObject({
      status: 'invalid',
      reason: expect.stringContaining('another file'),
    });
    const renamed = await pep740Provenance(
      sigstore,
      { ...file, filename: 'evil-1.0.0-py3-none-any.whl' },
      identity,
    );
    expect(judgePypiProvenance(renamed, file, trust).status).toBe('invalid');
    const mismatched = await pep740Provenance(sigstore, file, identity, 'someone/else');
    expect(judgePypiProvenance(mismatched, file, trust)).toMatchObject({
      status: 'invalid',
      reason: expect.stringContaining('https://github.com/someone/else'),
    });
    const changed = structuredClone(await pep740Provenance(sigstore, file, identity));
    const attestation = changed.attestation_bundles[0]?.attestations[0];
    if (attestation) attestation.envelope.signature = Buffer.from('not a signature').toString('base64');
    expect(judgePypiProvenance(changed, file, trust).status).toBe('invalid');
    expect(judgePypiProvenance({ version: 1 }, file, trust).status).toBe('invalid');
    expect(judgePypiProvenance(undefined, file, trust).status).toBe('absent');
  });

  it('cannot vouch for an attestation from another Sigstore instance', async () => {
    const elsewhere = await startSigstoreInstance();
    expect(judgePypiProvenance(await pep740Provenance(elsewhere, file, identity), file, trust).status).toBe(
      'unverifiable',
    );
  });
});

describe('provenance links on simple index pages', () => {
  const page = 'https://pypi.example/simple/weather-py/';
  it('reads `provenance` and `hashes` from PEP 691 JSON, null meaning none', () => {
    const files = parseSimpleJson(
      {
        files: [
          {
            filename: file.filename,
            url: '../../files/w.whl',
            hashes: { sha256: file.sha256.toUpperCase() },
            provenance: '/integrity/weather-py/1.0.0/w.whl/provenance',
          },
          { filename: 'weather_py-1.0.0.tar.gz', url: '../../files/w.tar.gz', hashes: {}, provenance: null },
        ],
      },
      page,
    );
    expect(files[0]).toMatchObject({
      sha256: file.sha256,
      provenance: 'https://pypi.example/integrity/weather-py/1.0.0/w.whl/provenance',
    });
    expect(files[1]?.provenance).toBeNull();
  });

  it('reads `data-provenance` and the #sha256 fragment from PEP 503 HTML', () => {
    const [f] = parseSimpleHtml(
      `<a href="../../files/w.whl#sha256=${file.sha256}" data-provenance="https://pypi.example/p/w">${file.filename}</a>`,
      page,
    );
    expect(f).toMatchObject({
      sha256: file.sha256,
      provenance: 'https://pypi.example/p/w',
      url: 'https://pypi.example/files/w.whl',
    });
  });
});
