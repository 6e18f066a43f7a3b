/**
 * @module What a package's supply chain must show before it runs: SUPPLY_CHAIN for every package, and
 * SUPPLY_CHAIN_RULES (`pattern=mode`, the first matching rule wins) for some, e.g.
 * `@modelcontextprotocol/*=provenance:github.com/modelcontextprotocol` on a `report` gateway, or
 * `legacy-tool=report` on a strict one. The modes are a ladder: `report` shows what was found;
 * `signatures` needs a verified registry signature on every package of the installed tree;
 * `provenance` needs that (npm; PyPI has no registry signatures) and verified provenance of the package itself, and `provenance:<host/owner>`
 * also that its source repository is under that prefix. A registry signature or an attestation that
 * does not match (a changed integrity, another version's signature, an expired key, an attestation of
 * another tarball) is refused at every level: the package is not what was published. Compiled once;
 * judging is pure.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { SupplyChain } from '../registry/supply-chain.js';
import type { RegistryKind } from '../spec/package-spec.js';
import { compilePattern, matchesName, type PackagePattern, PatternError } from './package-pattern.js';

export type SupplyChainMode = 'report' | 'signatures' | 'provenance';
const MODE = /^(report|signatures|provenance)(?::([\w.-]+(?:\/[\w.-]+)*))?$/;

interface Requirement {
  mode: SupplyChainMode;
  /** `provenance:` only: the source repository must be `https://<repository>` or under it. */
  repository?: string;
}

interface Rule extends Requirement {
  source: string;
  pattern: PackagePattern;
}

/** Parses `report`, `signatures`, `provenance` or `provenance:github.com/owner`. */
function parseMode(text: string): Requirement | undefined {
  const m = MODE.exec(text.trim());
  if (!m || (m[2] && m[1] !== 'provenance')) return undefined;
  return { mode: m[1] as SupplyChainMode, ...(m[2] ? { repository: m[2].replace(/\/+$/, '') } : {}) };
}

export class SupplyChainPolicy {
  private readonly rules: Rule[];

  /** @throws PatternError naming the entry that is no `pattern=report|signatures|provenance[:repo]` */
  constructor(
    private readonly mode: SupplyChainMode,
    rules: readonly string[] = [],
  ) {
    this.rules = rules.map((source) => {
      const at = source.lastIndexOf('=');
      const req = at > 0 ? parseMode(source.slice(at + 1)) : undefined;
      if (!req)
        throw new PatternError(
          `SUPPLY_CHAIN_RULES: '${source.slice(0, 100)}' is not pattern=report|signatures|provenance[:host/owner]`,
        );
      return { source, pattern: compilePattern(source.slice(0, at)), ...req };
    });
  }

  /** The requirement for a package, and the rule that set it (none: SUPPLY_CHAIN). */
  modeFor(registry: RegistryKind, name: string): Requirement & { rule?: string } {
    const rule = this.rules.find((r) => matchesName(r.pattern, registry, name));
    if (!rule) return { mode: this.mode };
    return {
      mode: rule.mode,
      ...(rule.repository ? { repository: rule.repository } : {}),
      rule: rule.source,
    };
  }

  /** @throws GatewayError SUPPLY_CHAIN_REFUSED naming what is missing or wrong, and the rule */
  judge(pkg: { registry: RegistryKind; name: string; version: string }, sc: SupplyChain | undefined): void {
    const { mode, repository, rule } = this.modeFor(pkg.registry, pkg.name);
    const id = `${pkg.name}@${pkg.version}`;
    const ruled = rule ? { rule } : {};
    const refuse = (message: string, data: Record<string, unknown>): never => {
      throw new GatewayError('SUPPLY_CHAIN_REFUSED', message, { ...data, ...ruled });
    };
    if (sc?.signatures === 'invalid')
      refuse(
        `${id}: a registry signature does not match (${sc.invalid
          .map((i) => `${i.package}: ${i.reason}`)
          .join('; ')
          .slice(0, 400)}).`,
        { required: 'a matching signature', found: 'invalid', packages: sc.invalid.map((i) => i.package) },
      );
    if (sc?.provenance?.status === 'invalid')
      refuse(`${id}: its provenance attestation does not match (${sc.provenance.reason.slice(0, 300)}).`, {
        required: 'a matching attestation',
        found: 'invalid',
      });
    if (mode === 'report') return;
    // PyPI publishes no registry signatures: its attestations (provenance) are what can be required.
    const signed = sc?.signatures === 'verified' || (pkg.registry === 'pypi' && mode === 'provenance');
    if (!signed) {
      const what = !sc
        ? 'unchecked: installed before supply-chain checks (remove it from the store to install and check it again)'
        : sc.signatures === 'missing'
          ? `unsigned: ${sc.missing.join(', ')}`
          : `unverifiable: ${sc.reason ?? `not checked: ${sc.unchecked.join(', ')}`}`;
      refuse(`${id} lacks verified registry signatures (${what.slice(0, 400)}).`, {
        required: 'signatures',
        found: sc?.signatures ?? 'unchecked',
        what: what.slice(0, 400),
      });
    }
    if (mode !== 'provenance') return;
    const prov = sc?.provenance;
    if (!prov?.verified)
      refuse(
        `${id} lacks verified provenance (${prov ? `${prov.status}: ${prov.reason}` : 'unchecked'}).`.slice(
          0,
          500,
        ),
        { required: 'provenance', found: prov?.status ?? 'unchecked' },
      );
    else if (repository) {
      const want = `https://${repository}`;
      if (prov.repository !== want && !prov.repository.startsWith(`${want}/`))
        refuse(`${id} was built from ${prov.repository}, not from ${want}.`, {
          required: `provenance from ${want}`,
          found: prov.repository,
        });
    }
  }
}
