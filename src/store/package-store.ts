/**
 * @module The managed package store: each (registry, name, exact version) is installed once into its own
 * directory. Installs run in a staging directory and are renamed into place (atomic); the manifest marks a
 * complete install; concurrent requests share one install, also across the gateways (PM2 workers) that
 * share the store (a lock file per package); a size cap prunes least-recently-used, never a package a
 * live gateway on the store runs (each publishes its packages in use in its staging area).
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../observability/logger.js';
import { writeFileAtomic } from '../process/atomic-file.js';
import { withFileLock } from '../process/file-lock.js';
import { InstanceDir } from '../process/instance-dir.js';
import type { GroupWatch } from '../process/orphan-reaper.js';
import { assertRuntimeFor, type Runtimes } from '../process/runtime-detect.js';
import { normalizePypiName } from '../registry/pypi-simple-index.js';
import type { SupplyChain } from '../registry/supply-chain.js';
import type { PackageRef } from '../spec/package-spec.js';
import { dirSize } from './dir-size.js';
import type { InstalledEntry, InstalledPackage, InstallManifest } from './install-types.js';
import { installNpmPackage } from './npm-installer.js';
import { installPythonPackage } from './python-installer.js';

export interface PackageStoreOptions {
  dir: string;
  maxBytes: number;
  installTimeoutMs: number;
  installScriptsAllowlist: readonly string[];
  npmRegistryUrl: string;
  /** The PyPI index first, then the extra indexes (pip's --index-url and --extra-index-url), now. */
  pypiIndexUrls: () => readonly string[];
  python: string;
  runtimes: () => Promise<Runtimes>;
  logger: Logger;
  /** Installer process groups are registered here (the orphan reaper), so they die with the gateway. */
  watch?: GroupWatch;
  /** Checks an install's supply chain in its staging directory, before it is put in place. */
  verify?: (ref: PackageRef, dir: string) => Promise<SupplyChain>;
}

const MANIFEST = '.mcp-install.json';
/** Where a gateway lists the store keys its processes run (in its own staging area). */
const IN_USE = 'in-use.json';
/** Last use is recorded (manifest mtime, for LRU pruning) at most this often per package, ms. */
const TOUCH_EVERY_MS = 60_000;
/** Installer processes see only these variables of the gateway (plus installer-config prefixes). */
const INSTALLER_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'TMPDIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
  'REQUESTS_CA_BUNDLE',
];
const INSTALLER_PREFIXES = ['NPM_CONFIG_', 'PIP_', 'UV_'];

/** The gateway's environment reduced to what npm, pip and uv need (no gateway secrets). */
export function installerEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && (INSTALLER_ENV.includes(k) || INSTALLER_PREFIXES.some((p) => k.startsWith(p))))
      out[k] = v;
  }
  return out;
}

/** The store key (and relative directory) of a package version. */
export function storeKey(ref: PackageRef): string {
  const name = ref.registry === 'pypi' ? normalizePypiName(ref.name) : ref.name.replace('/', '+');
  return `${ref.registry}/${name}@${ref.version}`;
}

export class PackageStore {
  /**
   * Installed packages seen so far: package requests (every stateless 2026-07-28 request among them) need
   * no disk read. The store is the only writer of its directory, so the map stays true.
   */
  private readonly known = new Map<string, InstalledPackage>();
  private readonly lastTouched = new Map<string, number>();
  private totalBytes = 0;
  private count = 0;
  /** The in-use list last published, and the write in progress. */
  private published = '';
  private publishing: Promise<void> = Promise.resolve();

  /** This gateway's own staging area (`.staging/<host>.<pid>.<tag>`): installs and pruned packages. */
  private work: InstanceDir | undefined;

  constructor(private readonly o: PackageStoreOptions) {}

  private get workDir(): string {
    if (!this.work) throw new Error('PackageStore.init() was not called');
    return this.work.path;
  }

  /**
   * Creates the store, removes what interrupted installs of dead gateways left (a live neighbour's
   * installs on the same store are left alone) and measures it.
   */
  async init(): Promise<void> {
    this.known.clear();
    await mkdir(this.o.dir, { recursive: true });
    await this.work?.release();
    this.work = await InstanceDir.claim(path.join(this.o.dir, '.staging'), 0o755);
    await this.sweep();
    await rm(path.join(this.o.dir, '.trash'), { recursive: true, force: true }); // an older layout's
    for (const kind of ['npm', 'pypi']) {
      const root = path.join(this.o.dir, kind);
      await mkdir(root, { recursive: true });
      for (const d of await readdir(root)) {
        if (!(await this.readManifest(path.join(root, d))))
          await rm(path.join(root, d), { recursive: true, force: true });
      }
    }
    await this.refreshStats();
  }

  /** Removes staging areas of gateways that died (start-up, then periodically). @returns how many. */
  async sweep(): Promise<number> {
    const removed = (await this.work?.sweep()) ?? [];
    if (removed.length > 0) this.o.logger.info({ removed }, 'removed staging areas of dead gateways');
    return removed.length;
  }

  /** Removes this gateway's staging area (shutdown, after every install ended). */
  async close(): Promise<void> {
    await this.work?.release();
  }

  private async readManifest(dir: string): Promise<InstallManifest | null> {
    try {
      return JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as InstallManifest;
    } catch {
      return null;
    }
  }

  /** The installed package, or null. */
  async get(ref: PackageRef): Promise<InstalledPackage | null> {
    const key = storeKey(ref);
    const known = this.known.get(key);
    // Another gateway on the store may have pruned it (never while one runs it): one stat to be sure.
    if (known && existsSync(path.join(known.dir, MANIFEST))) return known;
    this.known.delete(key);
    const dir = path.join(this.o.dir, key);
    const manifest = await this.readManifest(dir);
    if (!manifest) return null;
    const pkg = { ...manifest, key, dir };
    this.known.set(key, pkg);
    return pkg;
  }

  /**
   * Returns the installed package, installing it first when needed. Concurrent calls for one package
   * install it once. @throws GatewayError INSTALL_FAILED, RUNTIME_NOT_AVAILABLE, PACKAGE_NOT_RUNNABLE.
   */
  async ensureInstalled(
    ref: PackageRef,
    protect: ReadonlySet<string> = new Set(),
    onOutput?: (line: string) => void,
  ): Promise<InstalledPackage> {
    const existing = await this.get(ref);
    if (existing) return existing;
    const key = storeKey(ref);
    // One lock per package for this gateway's callers and the neighbours' alike (withFileLock queues
    // the callers of one process before they contend for the file).
    const lockName = `install-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
    return this.locked(lockName, async () => {
      const again = await this.get(ref); // installed meanwhile, here or by a neighbour gateway
      if (again) return again;
      const installed = await this.install(ref, key, onOutput);
      await this.prune(new Set([...protect, key]));
      return installed;
    });
  }

  /** Runs `fn` holding the store-wide lock `name` (across the gateways sharing the store). */
  private async locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    await mkdir(path.join(this.o.dir, '.locks'), { recursive: true });
    const timeoutMs = this.o.installTimeoutMs + 60_000;
    return withFileLock(
      path.join(this.o.dir, '.locks', `${name}.lock`),
      { staleMs: timeoutMs, timeoutMs },
      fn,
    );
  }

  /** Publishes the store keys this gateway's processes run, so neighbours' pruning spares them. */
  async markInUse(keys: ReadonlySet<string>): Promise<void> {
    const text = JSON.stringify([...keys].sort());
    if (text === this.published) return;
    this.published = text;
    // One write at a time, each complete before it is visible (renamed into place).
    this.publishing = this.publishing.then(async () => {
      try {
        await writeFileAtomic(path.join(this.workDir, IN_USE), text, 0o644);
      } catch (err) {
        this.o.logger.warn({ err: (err as Error).message }, 'could not publish the packages in use');
      }
    });
    await this.publishing;
  }

  /** Store keys the live neighbour gateways on this store run. */
  private async neighboursInUse(): Promise<string[]> {
    const dirs = (await this.work?.neighbours()) ?? [];
    const lists = await Promise.all(
      dirs.map((d) =>
        readFile(path.join(d, IN_USE), 'utf8')
          .then((t) => JSON.parse(t) as string[])
          .catch(() => [] as string[]),
      ),
    );
    return lists.flat();
  }

  private async install(
    ref: PackageRef,
    key: string,
    onOutput?: (line: string) => void,
  ): Promise<InstalledPackage> {
    const runtimes = await this.o.runtimes();
    assertRuntimeFor(ref.registry, runtimes);
    const staging = path.join(this.workDir, randomUUID());
    await mkdir(staging, { recursive: true });
    const started = Date.now();
    const base = {
      stagingDir: staging,
      name: ref.name,
      version: ref.version,
      deadline: started + this.o.installTimeoutMs,
      env: installerEnv(),
      ...(this.o.watch ? { watch: this.o.watch } : {}),
      ...(onOutput ? { onOutput } : {}),
    };
    try {
      let entry: InstalledEntry;
      let installer: string;
      if (ref.registry === 'npm') {
        installer = 'npm';
        entry = await installNpmPackage({
          ...base,
          npmPath: runtimes.npm as string,
          registryUrl: this.o.npmRegistryUrl,
          allowScripts: this.o.installScriptsAllowlist.includes(ref.name),
        });
      } else {
        installer = runtimes.uv ? 'uv' : 'pip';
        entry = await installPythonPackage({
          ...base,
          python: runtimes.python ?? this.o.python,
          uv: runtimes.uv,
          indexUrls: this.o.pypiIndexUrls(),
        });
      }
      const supplyChain = await this.o.verify?.(ref, staging);
      const manifest: InstallManifest = {
        ...ref,
        installedAt: new Date().toISOString(),
        sizeBytes: await dirSize(staging),
        installer,
        entry,
        ...(supplyChain ? { supplyChain } : {}),
      };
      await writeFile(path.join(staging, MANIFEST), JSON.stringify(manifest, null, 2));
      const dir = path.join(this.o.dir, key);
      await mkdir(path.dirname(dir), { recursive: true });
      await rename(staging, dir);
      this.totalBytes += manifest.sizeBytes;
      this.count += 1;
      this.o.logger.info(
        { package: key, ms: Date.now() - started, bytes: manifest.sizeBytes, installer },
        'package installed',
      );
      const pkg = { ...manifest, key, dir };
      this.known.set(key, pkg);
      return pkg;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** Marks a package as just used (for least-recently-used pruning). */
  async touch(pkg: InstalledPackage): Promise<void> {
    const now = Date.now();
    if (now - (this.lastTouched.get(pkg.key) ?? 0) < TOUCH_EVERY_MS) return;
    this.lastTouched.set(pkg.key, now);
    await utimes(path.join(pkg.dir, MANIFEST), new Date(now), new Date(now)).catch(() => undefined);
  }

  /** Every installed package with its last use (ms since epoch). */
  async list(): Promise<Array<InstalledPackage & { lastUsed: number }>> {
    const out: Array<InstalledPackage & { lastUsed: number }> = [];
    for (const kind of ['npm', 'pypi']) {
      const root = path.join(this.o.dir, kind);
      for (const d of await readdir(root).catch(() => [] as string[])) {
        const dir = path.join(root, d);
        const manifest = await this.readManifest(dir);
        if (!manifest) continue;
        const lastUsed = (await stat(path.join(dir, MANIFEST)).catch(() => null))?.mtimeMs ?? 0;
        out.push({ ...manifest, key: `${kind}/${d}`, dir, lastUsed });
      }
    }
    return out;
  }

  private async refreshStats(): Promise<void> {
    const all = await this.list();
    this.totalBytes = all.reduce((sum, p) => sum + p.sizeBytes, 0);
    this.count = all.length;
  }

  /** Size and package count (kept up to date by installs and pruning). */
  stats(): { bytes: number; packages: number; maxBytes: number } {
    return { bytes: this.totalBytes, packages: this.count, maxBytes: this.o.maxBytes };
  }

  /**
   * Removes least-recently-used packages until the store fits its cap, sparing `protect` (store keys) and
   * what neighbour gateways run; one gateway prunes at a time.
   */
  async prune(protect: ReadonlySet<string>): Promise<string[]> {
    await this.refreshStats();
    if (this.totalBytes <= this.o.maxBytes) return [];
    return this.locked('prune', () => this.pruneLocked(protect));
  }

  private async pruneLocked(protect: ReadonlySet<string>): Promise<string[]> {
    await this.refreshStats();
    const spared = new Set([...protect, ...(await this.neighboursInUse())]);
    const removed: string[] = [];
    const candidates = (await this.list())
      .filter((p) => !spared.has(p.key))
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const p of candidates) {
      if (this.totalBytes <= this.o.maxBytes) break;
      const trash = path.join(this.workDir, `trash-${randomUUID()}`);
      await rename(p.dir, trash);
      await rm(trash, { recursive: true, force: true });
      this.totalBytes -= p.sizeBytes;
      this.count -= 1;
      this.known.delete(p.key);
      this.lastTouched.delete(p.key);
      removed.push(p.key);
    }
    if (removed.length > 0) this.o.logger.info({ removed, bytes: this.totalBytes }, 'store pruned');
    if (this.totalBytes > this.o.maxBytes)
      this.o.logger.warn(
        { bytes: this.totalBytes, maxBytes: this.o.maxBytes },
        'store over its cap; remaining packages are in use',
      );
    return removed;
  }
}
