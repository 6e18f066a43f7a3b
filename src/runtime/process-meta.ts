/** @module What the gateway records about each child it starts for a package (the launcher fills it in). */
import { createHash } from 'node:crypto';
import type { QualityReport } from '../registry/quality-check.js';
import type { SupplyChain } from '../registry/supply-chain.js';
import type { PackageRef, RegistryKind } from '../spec/package-spec.js';

/** A child's package, configuration (masked) and owner. */
export interface ProcessMeta {
  packageName: string;
  packageType: RegistryKind;
  version: string;
  requestedVersion: string;
  storeKey: string;
  protocol: string;
  quality: QualityReport;
  connectionInfo: { command: string; args: string[]; env: Record<string, string> };
  /**
   * The settings the user gave (arguments and variables, secret values masked), hashed: the same for
   * every version and every secret value (what tool pins are kept under).
   */
  settingsKey: string;
  /** What the supply-chain check found at install (absent: installed before it existed). */
  supplyChain?: SupplyChain;
  /** Secret values, for the redactor only; stripped from every answer. */
  secrets: string[];
  /** The principal (API key id) whose request started it; only they and admins see it. */
  owner: string;
  /** Whether the sandbox cuts this server's network. */
  network: boolean;
}

/** The hash `settingsKey` holds, of masked user arguments and variables. */
export function settingsKeyOf(args: readonly string[], env: Record<string, string>): string {
  const vars = Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify([args, vars]))
    .digest('base64url')
    .slice(0, 16);
}

/** The package a child runs. */
export const packageOf = (meta: ProcessMeta): PackageRef => ({
  registry: meta.packageType,
  name: meta.packageName,
  version: meta.version,
});
