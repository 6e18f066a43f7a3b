/**
 * Provenance on real installs: a registry that signs and attests like registry.npmjs.org (in front of
 * the test Verdaccio; attestations made by the tests' Sigstore instance for each tarball's real sha512)
 * and a gateway trusting that instance's root (SIGSTORE_TRUSTED_ROOT, the one setting these tests are
 * about, with SUPPLY_CHAIN_RULES). The launch answer carries verified signatures and provenance with
 * the repository, commit and workflow; a rule naming another repository refuses the launch, naming
 * both; an attestation for another tarball is refused at the default `report` level. Nothing starts
 * when refused.
 */
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { useServedGateway } from '../support/gateway-harness.js';
import { startAttestingPypiIndex, startSigningRegistry } from '../support/signing-registry.js';
import { type BuildIdentity, startSigstoreInstance } from '../support/sigstore-instance.js';

const identity: BuildIdentity = {
  repository: 'https://github.com/acme/fixture-echo-mcp',
  commit: '1f0e'.padEnd(40, 'a'),
  ref: 'refs/tags/v1.0.0',
  workflow: '.github/workflows/publish.yml',
};

/** Starts the signing registry before the gateway, and points the gateway's settings at it. */
function withSigningRegistry(rules: string[], tampered = false) {
  const overrides = {
    registry: {} as { npmUrl?: string },
    trust: { supplyChainRules: rules } as Record<string, unknown>,
  };
  let close: (() => Promise<void>) | undefined;
  const rootFile = path.join(tmpdir(), `mcp-gw-trusted-root-${process.pid}-${rules.length}-${tampered}.json`);
  beforeAll(async () => {
    const sigstore = await startSigstoreInstance();
    await writeFile(rootFile, JSON.stringify(sigstore.trustedRoot));
    const registry = await startSigningRegistry(inject('registries').npm, sigstore, {
      'fixture-echo-mcp@1.0.0': { identity, ...(tampered ? { sha512: 'ab'.repeat(64) } : {}) },
    });
    close = registry.close;
    overrides.registry.npmUrl = registry.url;
    overrides.trust.sigstoreTrustedRoot = rootFile;
  });
  afterAll(async () => {
    await close?.();
    await rm(rootFile, { force: true });
  });
  return overrides;
}

describe('provenance verified, and required of the packages a rule names', () => {
  let base: string;
  const overrides = withSigningRegistry(['fixture-echo-*=provenance:github.com/acme']);
  useServedGateway((_t, url) => {
    base = url;
  }, overrides);

  it('launches with verified signatures and the repository, commit and workflow that built it', async () => {
    const res = await fetch(`${base}/package/fixture-echo-mcp@1.0.0/stdio`);
    const answer = (await res.json()) as { supplyChain: Record<string, unknown> };
    expect(res.status, JSON.stringify(answer)).toBe(200);
    expect(answer.supplyChain).toMatchObject({
      signatures: 'verified',
      provenance: {
        status: 'verified',
        repository: identity.repository,
        commit: identity.commit,
        workflow: `${identity.repository}/${identity.workflow}@${identity.ref}`,
        publish: 'verified',
        trust: expect.stringContaining('file'),
      },
    });
    const listed = (await (await fetch(`${base}/processes`)).json()) as {
      processes: Array<{ packageName: string; supplyChain: { provenance: { status: string } } }>;
    };
    expect(
      listed.processes.find((p) => p.packageName === 'fixture-echo-mcp')?.supplyChain.provenance.status,
    ).toBe('verified');
  });
});

describe('provenance from another repository than a rule requires', () => {
  let base: string;
  const overrides = withSigningRegistry(['fixture-echo-*=provenance:github.com/modelcontextprotocol']);
  useServedGateway((_t, url) => {
    base = url;
  }, overrides);

  it('refuses the launch, naming both repositories and the rule, and starts nothing', async () => {
    const res = await fetch(`${base}/package/fixture-echo-mcp@1.0.0/stdio`);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { code: string; message: string; guidance: Record<string, unknown> };
    expect(body).toMatchObject({
      code: 'SUPPLY_CHAIN_REFUSED',
      guidance: {
        required: 'provenance from https://github.com/modelcontextprotocol',
        found: identity.repository,
        rule: 'fixture-echo-*=provenance:github.com/modelcontextprotocol',
      },
    });
    expect(body.message).toContain(identity.repository);
    const listed = (await (await fetch(`${base}/processes`)).json()) as { processes: unknown[] };
    expect(listed.processes).toEqual([]);
  });
});

describe('an attestation of another tarball, at the default report level', () => {
  let base: string;
  const overrides = withSigningRegistry([], true);
  useServedGateway((_t, url) => {
    base = url;
  }, overrides);

  it('is refused: the package is not what was attested', async () => {
    const res = await fetch(`${base}/package/fixture-echo-mcp@1.0.0/stdio`);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { code: string; message: string; guidance: Record<string, unknown> };
    expect(body).toMatchObject({ code: 'SUPPLY_CHAIN_REFUSED', guidance: { found: 'invalid' } });
    expect(body.message).toContain('another tarball');
  });
});

describe('PyPI provenance (PEP 740), required by a rule', () => {
  let base: string;
  const pyIdentity: BuildIdentity = { ...identity, repository: 'https://github.com/acme/fixture-py-mcp' };
  const overrides = {
    registry: {} as { pypiIndexUrl?: string },
    trust: { supplyChainRules: ['pypi:fixture-py-*=provenance:github.com/acme'] } as Record<string, unknown>,
  };
  let close: (() => Promise<void>) | undefined;
  const rootFile = path.join(tmpdir(), `mcp-gw-trusted-root-${process.pid}-pypi.json`);
  beforeAll(async () => {
    const sigstore = await startSigstoreInstance();
    await writeFile(rootFile, JSON.stringify(sigstore.trustedRoot));
    const index = await startAttestingPypiIndex(
      inject('registries').pypi,
      'fixture-py-mcp',
      sigstore,
      pyIdentity,
    );
    close = index.close;
    overrides.registry.pypiIndexUrl = index.url;
    overrides.trust.sigstoreTrustedRoot = rootFile;
  });
  afterAll(async () => {
    await close?.();
    await rm(rootFile, { force: true });
  });
  useServedGateway((_t, url) => {
    base = url;
  }, overrides);

  it('installs with pip, finds the file pip installed, and verifies its attestation', async () => {
    const res = await fetch(`${base}/package/fixture-py-mcp@1.0.0/stdio`);
    const answer = (await res.json()) as { supplyChain: Record<string, unknown> };
    expect(res.status, JSON.stringify(answer)).toBe(200);
    expect(answer.supplyChain).toMatchObject({
      signatures: 'unverifiable',
      provenance: { status: 'verified', repository: pyIdentity.repository, commit: pyIdentity.commit },
    });
  });
});
