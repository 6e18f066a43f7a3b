/**
 * @module What a package's supply chain must show before it runs (SUPPLY_CHAIN). A registry signature
 * that does not match (a changed integrity, another version's signature, a key that had expired) is
 * refused at every level: it means the package is not what the registry published. `signatures` also
 * refuses a tree with unsigned packages, or one that could not be checked (a registry without keys).
 * Pure: it judges what the check after the install found.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { SupplyChain } from '../registry/supply-chain.js';

export type SupplyChainMode = 'report' | 'signatures';

/** @throws GatewayError SUPPLY_CHAIN_REFUSED naming what is missing or wrong */
export function judgeSupplyChain(mode: SupplyChainMode, pkg: string, sc: SupplyChain | undefined): void {
  if (!sc) {
    if (mode === 'report') return;
    throw new GatewayError(
      'SUPPLY_CHAIN_REFUSED',
      `${pkg} was installed before supply-chain checks; it has no record.`,
      {
        required: mode,
        found: 'unchecked',
        what: 'remove it from the store (it is installed again, and checked)',
      },
    );
  }
  if (sc.signatures === 'invalid')
    throw new GatewayError(
      'SUPPLY_CHAIN_REFUSED',
      `${pkg}: a registry signature does not match (${sc.invalid
        .map((i) => `${i.package}: ${i.reason}`)
        .join('; ')
        .slice(0, 400)}).`,
      { required: 'a matching signature', found: 'invalid', packages: sc.invalid.map((i) => i.package) },
    );
  if (mode === 'report' || sc.signatures === 'verified') return;
  const what =
    sc.signatures === 'missing'
      ? `unsigned: ${sc.missing.join(', ')}`
      : `unverifiable: ${sc.reason ?? `not checked: ${sc.unchecked.join(', ')}`}`;
  throw new GatewayError(
    'SUPPLY_CHAIN_REFUSED',
    `${pkg} lacks verified registry signatures (${what.slice(0, 400)}).`,
    { required: 'signatures', found: sc.signatures, what: what.slice(0, 400) },
  );
}
