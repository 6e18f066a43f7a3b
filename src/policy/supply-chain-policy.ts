/**
 * @module What a package's supply chain must show before it runs: SUPPLY_CHAIN for every package, and
 * SUPPLY_CHAIN_RULES (`pattern=mode`, the first matching rule wins) for some, e.g.
 * `@modelcontextprotocol/*=signatures` on a `report` gateway, or `legacy-tool=report` on a strict one.
 * A registry signature that does not match (a changed integrity, another version's signature, a key that
 * had expired) is refused at every level: the package is not what the registry published. `signatures`
 * also refuses a tree with unsigned packages, or one that could not be checked (a registry without
 * keys). Compiled once; judging is pure.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { SupplyChain } from '../registry/supply-chain.js';
import type { RegistryKind } from '../spec/package-spec.js';
import { compilePattern, matchesName, type PackagePattern, PatternError } from './package-pattern.js';

export type SupplyChainMode = 'report' | 'signatures';
const MODES: readonly string[] = ['report', 'signatures'];

interface Rule {
  source: string;
  pattern: PackagePattern;
  mode: SupplyChainMode;
}

export class SupplyChainPolicy {
  private readonly rules: Rule[];

  /** @throws PatternError naming the entry that is no `pattern=report|signatures` */
  constructor(
    private readonly mode: SupplyChainMode,
    rules: readonly string[] = [],
  ) {
    this.rules = rules.map((source) => {
      const at = source.lastIndexOf('=');
      const mode = source.slice(at + 1).trim();
      if (at <= 0 || !MODES.includes(mode))
        throw new PatternError(
          `SUPPLY_CHAIN_RULES: '${source.slice(0, 100)}' is not pattern=report|signatures`,
        );
      return { source, pattern: compilePattern(source.slice(0, at)), mode: mode as SupplyChainMode };
    });
  }

  /** The mode for a package, and the rule that set it (none: SUPPLY_CHAIN). */
  modeFor(registry: RegistryKind, name: string): { mode: SupplyChainMode; rule?: string } {
    const rule = this.rules.find((r) => matchesName(r.pattern, registry, name));
    return rule ? { mode: rule.mode, rule: rule.source } : { mode: this.mode };
  }

  /** @throws GatewayError SUPPLY_CHAIN_REFUSED naming what is missing or wrong, and the rule */
  judge(pkg: { registry: RegistryKind; name: string; version: string }, sc: SupplyChain | undefined): void {
    const { mode, rule } = this.modeFor(pkg.registry, pkg.name);
    const id = `${pkg.name}@${pkg.version}`;
    const ruled = rule ? { rule } : {};
    if (sc?.signatures === 'invalid')
      throw new GatewayError(
        'SUPPLY_CHAIN_REFUSED',
        `${id}: a registry signature does not match (${sc.invalid
          .map((i) => `${i.package}: ${i.reason}`)
          .join('; ')
          .slice(0, 400)}).`,
        { required: 'a matching signature', found: 'invalid', packages: sc.invalid.map((i) => i.package) },
      );
    if (mode === 'report' || sc?.signatures === 'verified') return;
    const what = !sc
      ? 'unchecked: installed before supply-chain checks (remove it from the store to install and check it again)'
      : sc.signatures === 'missing'
        ? `unsigned: ${sc.missing.join(', ')}`
        : `unverifiable: ${sc.reason ?? `not checked: ${sc.unchecked.join(', ')}`}`;
    throw new GatewayError(
      'SUPPLY_CHAIN_REFUSED',
      `${id} lacks verified registry signatures (${what.slice(0, 400)}).`,
      {
        required: 'signatures',
        found: sc?.signatures ?? 'unchecked',
        what: what.slice(0, 400),
        ...ruled,
      },
    );
  }
}
