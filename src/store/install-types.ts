/** @module Types of installed packages in the store. */
import type { GroupWatch } from '../process/orphan-reaper.js';
import type { SupplyChain } from '../registry/supply-chain.js';
import type { RegistryKind } from '../spec/package-spec.js';

/** How to start an installed package, relative to its store directory (so the directory can move). */
export type InstalledEntry =
  | { kind: 'node'; name: string; path: string }
  | { kind: 'exec'; name: string; path: string }
  | { kind: 'python'; name: string; distribution: string };

/** The manifest written last into each store directory: its presence marks a complete install. */
export interface InstallManifest {
  registry: RegistryKind;
  name: string;
  version: string;
  installedAt: string;
  sizeBytes: number;
  installer: string;
  entry: InstalledEntry;
  /** What the supply-chain check found right after the install (absent: installed before it existed). */
  supplyChain?: SupplyChain;
}

/** An installed package and where it lives. */
export interface InstalledPackage extends InstallManifest {
  key: string;
  dir: string;
}

/** What an installer needs to know; it installs into `stagingDir`. */
export interface InstallRequest {
  stagingDir: string;
  name: string;
  version: string;
  deadline: number;
  env: Record<string, string>;
  /** Installer process groups are registered here, so they die with the gateway. */
  watch?: GroupWatch;
  /** Told each line the installer prints (install progress). */
  onOutput?: (line: string) => void;
}
