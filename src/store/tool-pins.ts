/**
 * @module Tool pinning's memory: the first definitions (tools, prompts, resource templates) a package's
 * server showed at a version under a configuration, and the later, different ones held for an admin.
 * One JSON file per package and configuration under `<store>/pins/` (so it survives restarts and the
 * instances of a cluster share it), changed under a file lock and re-read when another instance wrote
 * it. Judging a list is synchronous, from memory; what it learns is written behind.
 *
 * TOOL_PINNING: `off` nothing; `warn` changes are recorded, nothing is held; `hold` (default) a change
 * within a version is held, a new version's changes are recorded as warnings; `strict` both are held.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Finding, scanDefinition } from '../policy/poisoning-scan.js';
import {
  comparable,
  type DefinitionKind,
  definitionHash,
  diffDefinitions,
  type FieldChange,
} from '../policy/tool-definitions.js';
import { writeFileAtomic } from '../process/atomic-file.js';
import { withFileLock } from '../process/file-lock.js';
import { mkdirPrivateSync } from '../process/private-dir.js';

export type PinningMode = 'off' | 'warn' | 'hold' | 'strict';

/** What a set of pins belongs to: a package and the configuration its server runs with. */
export interface PinRef {
  registry: string;
  name: string;
  version: string;
  /** A hash of the configuration (its arguments and variables, secrets masked). */
  config: string;
}

interface Pinned {
  hash: string;
  def: Record<string, unknown>;
  at: string;
}

/** A definition held for an admin: why, and what it replaces. */
export interface Held extends Pinned {
  id: string;
  /**
   * `changed` within the version; `new-version`: differs from an earlier version's (strict); `flagged`:
   * the poisoning scan found something in it at first sight.
   */
  reason: 'changed' | 'new-version' | 'flagged';
  /** What the poisoning scan found in it. */
  findings?: Finding[];
  state: 'pending' | 'rejected';
  previous?: Pinned & { version: string };
}

interface VersionPins {
  pinned: Record<string, Pinned>;
  held: Record<string, Held>;
  /** Changes recorded without holding (warn mode, or a new version's changes under hold). */
  warnings: Record<
    string,
    { at: string; hash?: string; previousVersion?: string; changes: FieldChange[]; findings?: Finding[] }
  >;
}

interface PinFile {
  registry: string;
  name: string;
  config: string;
  versions: Record<string, VersionPins>;
}

/** A held definition as the approvals API shows it. */
export interface HeldView {
  id: string;
  package: string;
  version: string;
  config: string;
  kind: DefinitionKind;
  name: string;
  reason: Held['reason'];
  state: Held['state'];
  at: string;
  changes: FieldChange[];
  findings: Finding[];
  definition: Record<string, unknown>;
}

const RELOAD_EVERY_MS = 1000;
const LOCK = { staleMs: 30_000, timeoutMs: 30_000 };
const keyOf = (kind: DefinitionKind, name: string) => `${kind}:${name}`;
const emptyVersion = (): VersionPins => ({ pinned: {}, held: {}, warnings: {} });
const short = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 16);

export class ToolPins {
  private readonly files = new Map<string, { data: PinFile; mtimeMs: number; checkedAt: number }>();
  /** Counts every change seen of each file (made here or read from disk): verdicts older are stale. */
  private readonly generations = new Map<string, number>();
  /** The write of each file that has not begun yet (later changes join it). */
  private readonly scheduled = new Map<string, Promise<void>>();
  /** Changes made here and not on disk yet, by file (re-applied over whatever is read meanwhile). */
  private readonly queued = new Map<string, Array<(d: PinFile) => void>>();
  private readonly dir: string;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    storeDir: string,
    readonly mode: PinningMode,
    /** Told of each definition newly held (the audit log). */
    private readonly onHeld: (held: {
      package: string;
      version: string;
      kind: DefinitionKind;
      name: string;
      reason: Held['reason'];
      id: string;
      findings: Finding[];
    }) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {
    this.dir = path.join(storeDir, 'pins');
    if (mode !== 'off') mkdirPrivateSync(this.dir);
  }

  private readonly fileNames = new Map<string, string>();

  private fileOf(ref: Pick<PinRef, 'registry' | 'name' | 'config'>): string {
    const id = `${ref.registry}:${ref.name}\n${ref.config}`;
    let file = this.fileNames.get(id);
    if (!file) {
      file = path.join(this.dir, `${short(id)}.json`);
      if (this.fileNames.size > 10_000) this.fileNames.clear();
      this.fileNames.set(id, file);
    }
    return file;
  }

  /** The file as it is on disk (an empty record when there is none or it cannot be read). */
  private readDisk(
    ref: Pick<PinRef, 'registry' | 'name' | 'config'>,
    file: string,
  ): { data: PinFile; mtimeMs: number } {
    try {
      const mtimeMs = statSync(file).mtimeMs;
      return { data: JSON.parse(readFileSync(file, 'utf8')) as PinFile, mtimeMs };
    } catch {
      // none yet (writes are atomic, so never half a file)
      return {
        data: { registry: ref.registry, name: ref.name, config: ref.config, versions: {} },
        mtimeMs: 0,
      };
    }
  }

  /** The disk's content with this instance's changes not written yet applied over it, kept in memory. */
  private remember(file: string, disk: { data: PinFile; mtimeMs: number }): PinFile {
    for (const apply of this.queued.get(file) ?? []) apply(disk.data);
    this.files.set(file, { ...disk, checkedAt: this.now() });
    this.bump(file);
    return disk.data;
  }

  private bump(file: string): void {
    this.generations.set(file, (this.generations.get(file) ?? 0) + 1);
  }

  /** How many changes of `ref`'s pins this instance has seen (re-reading the file when it is due). */
  generation(ref: PinRef): number {
    if (this.mode === 'off') return 0;
    this.load(ref);
    return this.generations.get(this.fileOf(ref)) ?? 0;
  }

  /** The pins of a package and configuration, re-read (at most every second) when the file changed. */
  private load(ref: Pick<PinRef, 'registry' | 'name' | 'config'>): PinFile {
    const file = this.fileOf(ref);
    const cached = this.files.get(file);
    if (cached && this.now() - cached.checkedAt < RELOAD_EVERY_MS) return cached.data;
    let mtimeMs = 0;
    try {
      mtimeMs = statSync(file).mtimeMs;
    } catch {
      // none yet
    }
    if (cached && cached.mtimeMs === mtimeMs) {
      cached.checkedAt = this.now();
      return cached.data;
    }
    return this.remember(file, this.readDisk(ref, file));
  }

  /**
   * Applies `change` at once to what this instance holds in memory (its next judgement sees it), then,
   * under the file's lock, to what is on disk then (another instance may have written meanwhile). The
   * changes of one moment (a first list's every tool) go to disk in one write.
   */
  private update(ref: PinRef, change: (v: VersionPins) => void): Promise<void> {
    const file = this.fileOf(ref);
    const apply = (d: PinFile) => {
      d.versions[ref.version] ??= emptyVersion();
      change(d.versions[ref.version] as VersionPins);
    };
    const queue = this.queued.get(file) ?? [];
    this.queued.set(file, queue);
    queue.push(apply);
    apply(this.load(ref));
    this.bump(file);
    let step = this.scheduled.get(file);
    if (!step) {
      step = this.writing.then(() =>
        withFileLock(`${file}.lock`, LOCK, async () => {
          this.scheduled.delete(file);
          const taken = queue.splice(0);
          const disk = this.readDisk(ref, file);
          for (const a of taken) a(disk.data);
          await writeFileAtomic(file, JSON.stringify(disk.data));
          if (queue.length === 0) this.queued.delete(file);
          this.remember(file, { data: disk.data, mtimeMs: statSync(file).mtimeMs });
        }),
      );
      this.scheduled.set(file, step);
      this.writing = step.catch(() => undefined);
    }
    return step;
  }

  /** `update`, written behind: a failed write (a full disk) costs the record, never the list. */
  private behind(ref: PinRef, change: (v: VersionPins) => void): void {
    this.update(ref, change).catch(() => undefined);
  }

  /** The newest other version's pin of `key`, for a new version's comparison. */
  private earlier(data: PinFile, version: string, key: string): (Pinned & { version: string }) | undefined {
    const others = Object.keys(data.versions).filter((v) => v !== version && data.versions[v]?.pinned[key]);
    const last = others.sort((a, b) =>
      (data.versions[b]?.pinned[key]?.at ?? '').localeCompare(data.versions[a]?.pinned[key]?.at ?? ''),
    )[0];
    const pin = last ? data.versions[last]?.pinned[key] : undefined;
    return pin && last ? { ...pin, version: last } : undefined;
  }

  /**
   * Judges one definition the server listed: true when it may reach clients, false when it is held.
   * First sight pins it; a change is held or recorded as the mode says. Writes go on behind.
   */
  judge(ref: PinRef, kind: DefinitionKind, name: string, item: unknown): boolean {
    if (this.mode === 'off') return true;
    const key = keyOf(kind, name);
    const hash = definitionHash(kind, item);
    const data = this.load(ref);
    const v = data.versions[ref.version];
    const pinned = v?.pinned[key];
    if (pinned?.hash === hash) return true;
    const held = v?.held[key];
    if (held?.hash === hash) return this.mode === 'warn';
    // A change already recorded (warn mode) is not recorded again at every list.
    if (v?.warnings[key]?.hash === hash) return true;
    const def = comparable(kind, item);
    const at = new Date(this.now()).toISOString();
    const id = short(`${ref.registry}:${ref.name}@${ref.version}\n${ref.config}\n${key}\n${hash}`);
    const findings = scanDefinition(def);
    const flagged = findings.length > 0 ? { findings } : {};
    const hold = (reason: Held['reason'], previous: Held['previous']) => {
      this.behind(ref, (fresh) => {
        if (fresh.pinned[key]?.hash === hash || fresh.held[key]?.hash === hash) return;
        fresh.held[key] = {
          id,
          hash,
          def,
          at,
          reason,
          state: 'pending',
          ...(previous ? { previous } : {}),
          ...flagged,
        };
      });
      const pkg = `${ref.registry === 'pypi' ? 'pypi:' : ''}${ref.name}`;
      this.onHeld({ package: pkg, version: ref.version, kind, name, reason, id, findings });
      return false;
    };
    const warn = (previous: Pinned, previousVersion?: string) =>
      this.behind(ref, (fresh) => {
        fresh.warnings[key] = {
          at,
          hash,
          changes: diffDefinitions(previous.def, def),
          ...(previousVersion ? { previousVersion } : {}),
          ...flagged,
        };
        if (!previousVersion) return;
        fresh.pinned[key] ??= { hash, def, at };
      });
    if (pinned) {
      if (this.mode === 'warn') {
        warn(pinned);
        return true;
      }
      return hold('changed', { ...pinned, version: ref.version });
    }
    const before = this.earlier(data, ref.version, key);
    if (before && before.hash !== hash) {
      if (this.mode === 'strict' || findings.length > 0)
        return hold(findings.length > 0 ? 'flagged' : 'new-version', before);
      warn(before, before.version);
      return true;
    }
    if (findings.length > 0) {
      if (this.mode !== 'warn') return hold('flagged', undefined);
      this.behind(ref, (fresh) => {
        fresh.warnings[key] = { at, changes: [], findings };
        fresh.pinned[key] ??= { hash, def, at };
      });
      return true;
    }
    this.behind(ref, (fresh) => {
      fresh.pinned[key] ??= { hash, def, at };
    });
    return true;
  }

  /** The held entry of a definition, when the one `lastHash` names (or any, unknown) is held. */
  heldOf(ref: PinRef, kind: DefinitionKind, name: string, lastHash?: string): Held | undefined {
    if (this.mode === 'off' || this.mode === 'warn') return undefined;
    const held = this.load(ref).versions[ref.version]?.held[keyOf(kind, name)];
    return held && (lastHash === undefined || held.hash === lastHash) ? held : undefined;
  }

  /** What is held and recorded for a package and configuration at a version (for /processes). */
  summary(ref: PinRef): { held: string[]; warnings: string[] } {
    const v = this.mode === 'off' ? undefined : this.load(ref).versions[ref.version];
    return { held: Object.keys(v?.held ?? {}), warnings: Object.keys(v?.warnings ?? {}) };
  }

  /** Every held definition in the store (the approvals API), once this instance's writes are done. */
  async list(): Promise<HeldView[]> {
    if (this.mode === 'off') return [];
    await this.writing;
    const out: HeldView[] = [];
    const names = existsSync(this.dir) ? readdirSync(this.dir).filter((f) => f.endsWith('.json')) : [];
    for (const f of names) {
      let data: PinFile;
      try {
        data = JSON.parse(readFileSync(path.join(this.dir, f), 'utf8')) as PinFile;
      } catch {
        continue;
      }
      for (const [version, v] of Object.entries(data.versions))
        for (const [key, h] of Object.entries(v.held)) {
          const [kind, ...rest] = key.split(':');
          out.push({
            id: h.id,
            package: `${data.registry === 'pypi' ? 'pypi:' : ''}${data.name}`,
            version,
            config: data.config,
            kind: kind as DefinitionKind,
            name: rest.join(':'),
            reason: h.reason,
            state: h.state,
            at: h.at,
            changes: diffDefinitions(h.previous?.def ?? {}, h.def),
            findings: h.findings ?? [],
            definition: h.def,
          });
        }
    }
    return out.sort((a, b) => a.at.localeCompare(b.at));
  }

  /**
   * An admin's decision on a held definition: approved, it becomes the pinned one (served from the next
   * list on); rejected, it stays out. Resolves with what was decided, or undefined for an unknown id.
   */
  async decide(id: string, approve: boolean): Promise<HeldView | undefined> {
    const view = (await this.list()).find((h) => h.id === id);
    if (!view) return undefined;
    const ref: PinRef = {
      registry: view.package.startsWith('pypi:') ? 'pypi' : 'npm',
      name: view.package.replace(/^pypi:/, ''),
      version: view.version,
      config: view.config,
    };
    const key = keyOf(view.kind, view.name);
    await this.update(ref, (fresh) => {
      const held = fresh.held[key];
      if (held?.id !== id) return;
      if (approve) {
        fresh.pinned[key] = { hash: held.hash, def: held.def, at: new Date(this.now()).toISOString() };
        delete fresh.held[key];
        delete fresh.warnings[key];
      } else held.state = 'rejected';
    });
    return { ...view, state: approve ? view.state : 'rejected' };
  }

  /** Resolves when every write begun so far is done (tests, shutdown). */
  settled(): Promise<unknown> {
    return this.writing;
  }
}
