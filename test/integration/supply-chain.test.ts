/**
 * The supply-chain check on real installs from the test registry (Verdaccio, which like this machine's
 * npm mirror publishes no signing keys): at defaults the launch answer and /processes say
 * `unverifiable` and why, and the package runs; with SUPPLY_CHAIN=signatures the same launch is refused
 * with SUPPLY_CHAIN_REFUSED naming what is missing, and nothing starts.
 */
import { describe, expect, it } from 'vitest';
import { useServedGateway } from '../support/gateway-harness.js';

describe('supply chain at defaults (report)', () => {
  let base: string;
  useServedGateway((_t, url) => {
    base = url;
  });

  it('reports an unverifiable tree where the registry publishes no keys, and runs the package', async () => {
    const res = await fetch(`${base}/package/fixture-echo-mcp@1.0.0/stdio`);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as {
      supplyChain: { signatures: string; reason: string; packages: number };
    };
    expect(answer.supplyChain).toMatchObject({
      signatures: 'unverifiable',
      reason: expect.stringContaining('publishes no signing keys'),
      packages: 1,
      // Verdaccio serves no attestations either: like a mirror, it cannot say whether there are any.
      provenance: {
        status: 'unverifiable',
        reason: expect.stringContaining('neither signing keys nor attestations'),
      },
    });
    const listed = (await (await fetch(`${base}/processes`)).json()) as {
      processes: Array<{ packageName: string; supplyChain: { signatures: string } }>;
    };
    expect(listed.processes.find((p) => p.packageName === 'fixture-echo-mcp')?.supplyChain.signatures).toBe(
      'unverifiable',
    );
    // The Registry API says it too, in the gateway's _meta of the entry.
    const servers = (await (await fetch(`${base}/v0.1/servers?search=fixture-echo`)).json()) as {
      servers: Array<{
        _meta: Record<string, { supplyChain?: { signatures: string; provenance: { status: string } } }>;
      }>;
    };
    expect(servers.servers[0]?._meta['io.github.mcp-registry-server/gateway']?.supplyChain).toMatchObject({
      signatures: 'unverifiable',
      provenance: { status: 'unverifiable' },
    });
  });
});

describe('supply chain required (SUPPLY_CHAIN=signatures)', () => {
  let base: string;
  useServedGateway(
    (_t, url) => {
      base = url;
    },
    { trust: { supplyChain: 'signatures' } },
  );

  it('refuses a package whose signatures cannot be verified, saying why, and starts nothing', async () => {
    const res = await fetch(`${base}/package/fixture-echo-mcp@1.0.0/stdio`);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { code: string; message: string; guidance: Record<string, unknown> };
    expect(body.code).toBe('SUPPLY_CHAIN_REFUSED');
    expect(body.message).toContain('unverifiable');
    expect(body.guidance).toMatchObject({ required: 'signatures', found: 'unverifiable' });
    const listed = (await (await fetch(`${base}/processes`)).json()) as { processes: unknown[] };
    expect(listed.processes).toEqual([]);
  });
});

describe('supply chain rules per package (SUPPLY_CHAIN_RULES)', () => {
  let base: string;
  useServedGateway(
    (_t, url) => {
      base = url;
    },
    { trust: { supplyChainRules: ['fixture-echo-*=signatures'] } },
  );

  it('requires signatures of the packages a rule names, and only of those', async () => {
    const refused = await fetch(`${base}/package/fixture-echo-mcp@1.0.0/stdio`);
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as { code: string; guidance: Record<string, unknown> };
    expect(body).toMatchObject({
      code: 'SUPPLY_CHAIN_REFUSED',
      guidance: { rule: 'fixture-echo-*=signatures' },
    });
    const other = await fetch(`${base}/package/fixture-dual-mcp@1.0.0/stdio`);
    expect(other.status).toBe(200);
  });
});
