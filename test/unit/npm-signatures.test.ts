/**
 * npm registry signatures against real recorded registry data (test/fixtures/npm-signatures: the
 * registry's two published keys, one with its expiry, and venv's 0.1.0 and 0.2.0 entries with their
 * signatures and publish times), and tampered variants: a changed integrity, a signature moved to
 * another version, an unknown key, a key that had expired when the version was published.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SupplyChainPolicy } from '../../src/policy/supply-chain-policy.js';
import {
  parseRegistryKeys,
  type RegistryKey,
  verifyRegistrySignature,
} from '../../src/registry/npm-signatures.js';
import { type SupplyChain, SupplyChainChecker } from '../../src/registry/supply-chain.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/npm-signatures');
const read = (f: string) => JSON.parse(readFileSync(path.join(FIXTURES, f), 'utf8'));
const keysDoc = read('registry-keys.json');
const venv = read('venv.json');
const keys = parseRegistryKeys(keysDoc) as RegistryKey[];
const entry = (version: string) => ({
  name: 'venv',
  version,
  integrity: venv.versions[version].dist.integrity as string,
  signatures: venv.versions[version].dist.signatures,
  publishedAt: venv.time[version] as string,
});

describe('registry signatures', () => {
  it('verifies real signatures with the registry’s real key, judged at the publish time', () => {
    expect(keys).toHaveLength(2);
    for (const v of ['0.1.0', '0.2.0'])
      expect(verifyRegistrySignature(entry(v), keys)).toEqual({
        status: 'verified',
        keyid: 'SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA',
      });
  });

  it('refuses tampered entries', () => {
    const other = venv.versions['0.2.0'].dist.integrity as string;
    expect(verifyRegistrySignature({ ...entry('0.1.0'), integrity: other }, keys).status).toBe('invalid');
    // 0.2.0's signature presented as 0.1.0's.
    expect(
      verifyRegistrySignature({ ...entry('0.1.0'), signatures: entry('0.2.0').signatures }, keys).status,
    ).toBe('invalid');
    const unknownKey = verifyRegistrySignature(entry('0.1.0'), keys.slice(1));
    expect(unknownKey).toMatchObject({
      status: 'invalid',
      reason: expect.stringContaining('no registry key'),
    });
    // Published after its key expired (2025-01-29): that key vouches for nothing then.
    const late = verifyRegistrySignature(
      { ...entry('0.1.0'), publishedAt: '2025-06-01T00:00:00.000Z' },
      keys,
    );
    expect(late).toMatchObject({ status: 'invalid', reason: expect.stringContaining('expired') });
    const garbage = verifyRegistrySignature(
      { ...entry('0.1.0'), signatures: [{ keyid: keys[0]?.keyid, sig: 'bm90IGEgc2ln' }] },
      keys,
    );
    expect(garbage.status).toBe('invalid');
  });

  it('says missing for an unsigned entry, and unverifiable where the registry publishes no keys', () => {
    expect(verifyRegistrySignature({ ...entry('0.1.0'), signatures: [] }, keys)).toEqual({
      status: 'missing',
    });
    expect(verifyRegistrySignature(entry('0.1.0'), undefined).status).toBe('unverifiable');
    expect(parseRegistryKeys({ error: 'not found' })).toBeUndefined();
  });
});

describe('an installed tree, against a registry serving the recorded documents', () => {
  let server: Server;
  let url: string;
  let dir: string;
  let served: Record<string, unknown>;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const doc = served[req.url ?? ''];
      res.writeHead(doc ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(doc ?? { error: 'Not found' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = await mkdtemp(path.join(tmpdir(), 'mcp-gw-supply-'));
    await mkdir(path.join(dir, 'node_modules'));
  });
  afterAll(async () => {
    server?.close();
    await rm(dir, { recursive: true, force: true });
  });
  const tree = (packages: Record<string, unknown>) =>
    writeFile(
      path.join(dir, 'node_modules', '.package-lock.json'),
      JSON.stringify({ name: 'x', lockfileVersion: 3, packages }),
    );
  const fetchJson = async (u: string) => {
    const res = await fetch(u);
    if (res.status === 404) return undefined;
    return res.json();
  };

  it('verifies every package, and names the one whose installed integrity differs', async () => {
    served = { '/-/npm/v1/keys': keysDoc, '/venv': venv };
    await tree({ 'node_modules/venv': { version: '0.1.0', integrity: entry('0.1.0').integrity } });
    const ok = await new SupplyChainChecker({ npmRegistryUrl: url, fetchJson }).checkNpm(dir);
    expect(ok).toMatchObject({ signatures: 'verified', packages: 1, verified: 1, missing: [], invalid: [] });
    await tree({ 'node_modules/venv': { version: '0.1.0', integrity: entry('0.2.0').integrity } });
    const bad = await new SupplyChainChecker({ npmRegistryUrl: url, fetchJson }).checkNpm(dir);
    expect(bad).toMatchObject({ signatures: 'invalid', invalid: [{ package: 'venv@0.1.0' }] });
  });

  it('is unverifiable, asking nothing more, where the registry publishes no keys (a mirror)', async () => {
    served = { '/venv': venv };
    await tree({ 'node_modules/venv': { version: '0.1.0', integrity: entry('0.1.0').integrity } });
    const asked: string[] = [];
    const result = await new SupplyChainChecker({
      npmRegistryUrl: url,
      fetchJson: (u) => {
        asked.push(u);
        return fetchJson(u);
      },
    }).checkNpm(dir);
    expect(result).toMatchObject({
      signatures: 'unverifiable',
      reason: expect.stringContaining('no signing keys'),
    });
    expect(asked).toEqual([`${url}/-/npm/v1/keys`]);
  });
});

describe('the supply-chain policy', () => {
  const verifiedFrom = (repository: string): SupplyChain['provenance'] => ({
    status: 'verified',
    verified: true,
    repository,
    publish: 'verified',
    trust: 'test',
  });
  const found = (
    signatures: SupplyChain['signatures'],
    provenance: SupplyChain['provenance'] = { status: 'absent', verified: false, reason: 'none' },
  ): SupplyChain => ({
    signatures,
    provenance,
    packages: 1,
    verified: signatures === 'verified' ? 1 : 0,
    missing: signatures === 'missing' ? ['x@1.0.0'] : [],
    invalid:
      signatures === 'invalid' ? [{ package: 'x@1.0.0', reason: 'the installed integrity differs' }] : [],
    unchecked: [],
    checkedAt: '2026-12-06T00:00:00.000Z',
    ms: 1,
  });
  const pkg = (name: string) => ({ registry: 'npm' as const, name, version: '1.0.0' });
  const code = (f: () => void) => {
    try {
      f();
      return 'ran';
    } catch (err) {
      return (err as { code?: string }).code;
    }
  };

  it('refuses a mismatch at every level, and what is not verified where signatures are required', () => {
    const report = new SupplyChainPolicy('report');
    expect(code(() => report.judge(pkg('x'), found('invalid')))).toBe('SUPPLY_CHAIN_REFUSED');
    expect(code(() => report.judge(pkg('x'), found('unverifiable')))).toBe('ran');
    expect(code(() => report.judge(pkg('x'), undefined))).toBe('ran');
    const strict = new SupplyChainPolicy('signatures');
    expect(code(() => strict.judge(pkg('x'), found('verified')))).toBe('ran');
    for (const s of ['missing', 'unverifiable'] as const)
      expect(code(() => strict.judge(pkg('x'), found(s)))).toBe('SUPPLY_CHAIN_REFUSED');
    expect(code(() => strict.judge(pkg('x'), undefined))).toBe('SUPPLY_CHAIN_REFUSED');
  });

  it('takes the first rule that matches a package, and refuses malformed rules', () => {
    const p = new SupplyChainPolicy('report', ['@modelcontextprotocol/*=signatures', 'legacy=report']);
    expect(p.modeFor('npm', '@modelcontextprotocol/server-everything')).toEqual({
      mode: 'signatures',
      rule: '@modelcontextprotocol/*=signatures',
    });
    expect(p.modeFor('npm', 'firecrawl-mcp')).toEqual({ mode: 'report' });
    const relaxed = new SupplyChainPolicy('signatures', ['legacy=report']);
    expect(code(() => relaxed.judge(pkg('legacy'), found('unverifiable')))).toBe('ran');
    expect(() => new SupplyChainPolicy('report', ['no-mode'])).toThrow(/pattern=report\|signatures/);
    expect(() => new SupplyChainPolicy('report', ['x=attested'])).toThrow(/SUPPLY_CHAIN_RULES/);
    expect(() => new SupplyChainPolicy('report', ['x=signatures:github.com/a'])).toThrow(
      /SUPPLY_CHAIN_RULES/,
    );
  });

  it('climbs a ladder: provenance needs signatures and verified provenance, from the repository a rule names', () => {
    const p = new SupplyChainPolicy('provenance', [
      '@modelcontextprotocol/*=provenance:github.com/modelcontextprotocol',
    ]);
    const mcp = pkg('@modelcontextprotocol/server-everything');
    expect(code(() => p.judge(pkg('x'), found('verified', verifiedFrom('https://github.com/acme/x'))))).toBe(
      'ran',
    );
    expect(
      code(() => p.judge(pkg('x'), found('unverifiable', verifiedFrom('https://github.com/acme/x')))),
    ).toBe('SUPPLY_CHAIN_REFUSED');
    expect(code(() => p.judge(pkg('x'), found('verified')))).toBe('SUPPLY_CHAIN_REFUSED');
    const ours = found('verified', verifiedFrom('https://github.com/modelcontextprotocol/servers'));
    expect(code(() => p.judge(mcp, ours))).toBe('ran');
    // A look-alike owner is not under the prefix.
    const lookalike = found('verified', verifiedFrom('https://github.com/modelcontextprotocol-evil/servers'));
    expect(code(() => p.judge(mcp, lookalike))).toBe('SUPPLY_CHAIN_REFUSED');
    // An attestation that does not match is refused at every level.
    const invalid = found('verified', { status: 'invalid', verified: false, reason: 'another tarball' });
    expect(code(() => new SupplyChainPolicy('report').judge(pkg('x'), invalid))).toBe('SUPPLY_CHAIN_REFUSED');
  });
});
