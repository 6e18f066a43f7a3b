/**
 * @module The toolsets, one file each in `<STORE_DIR>/toolsets/` (every instance of a host reads the
 * same): the definition with each server's parameters sealed (secret-box.ts) under the place
 * `toolset/<name>/<alias>`, so the files never hold a parameter in the clear. Answers show parameter
 * names with their values masked; only the gateway itself, when it launches a toolset's servers, reads
 * the values. Written atomically (writeFileAtomic).
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { TOOLSET_NAME, type Toolset, type ToolsetServer } from '../policy/toolset-definition.js';
import { writeFileAtomic } from '../process/atomic-file.js';
import { mkdirPrivate } from '../process/private-dir.js';
import type { SecretBox } from './secret-box.js';

interface StoredServer extends Omit<ToolsetServer, 'params'> {
  /** The parameters' JSON, sealed. */
  params: string;
  /** Their names (not secret: answers list them, values masked). */
  paramNames: string[];
}

interface StoredToolset {
  name: string;
  description?: string;
  principals?: string[];
  servers: StoredServer[];
  updatedAt: string;
  updatedBy: string;
}

/** A toolset as answers show it: parameter values masked. */
export interface ToolsetView {
  name: string;
  description?: string;
  principals?: string[];
  servers: Array<Omit<ToolsetServer, 'params'> & { params: Record<string, string> }>;
  updatedAt: string;
  updatedBy: string;
}

const place = (name: string, alias: string) => `toolset/${name}/${alias}`;

export class ToolsetStore {
  private readonly dir: string;
  private readonly cache = new Map<string, { stamp: string; stored: StoredToolset }>();
  /** Opened toolsets, by the stored object they were opened from. */
  private readonly opened = new WeakMap<StoredToolset, Toolset & { updatedAt: string }>();

  constructor(
    storeDir: string,
    private readonly box: SecretBox,
  ) {
    this.dir = path.join(storeDir, 'toolsets');
  }

  async init(): Promise<void> {
    await mkdirPrivate(this.dir);
  }

  private file(name: string): string {
    return path.join(this.dir, `${name}.json`);
  }

  /**
   * The stored toolset, read again only when its file changed (its modification time, size and inode):
   * a stateless request on a toolset costs a stat, not a read, a parse and a decryption.
   */
  private read(name: string): StoredToolset | undefined {
    if (!TOOLSET_NAME.test(name)) return undefined;
    try {
      const st = statSync(this.file(name));
      const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
      const hit = this.cache.get(name);
      if (hit?.stamp === stamp) return hit.stored;
      const stored = JSON.parse(readFileSync(this.file(name), 'utf8')) as StoredToolset;
      this.cache.set(name, { stamp, stored });
      return stored;
    } catch {
      this.cache.delete(name);
      return undefined;
    }
  }

  /** Stores `toolset` (replacing one of its name); answers its view. */
  async put(toolset: Toolset, by: string): Promise<ToolsetView> {
    const stored: StoredToolset = {
      name: toolset.name,
      ...(toolset.description ? { description: toolset.description } : {}),
      ...(toolset.principals ? { principals: toolset.principals } : {}),
      servers: toolset.servers.map((s) => ({
        ...s,
        params: this.box.seal(JSON.stringify(s.params), place(toolset.name, s.alias)),
        paramNames: Object.keys(s.params),
      })),
      updatedAt: new Date().toISOString(),
      updatedBy: by,
    };
    await writeFileAtomic(this.file(toolset.name), `${JSON.stringify(stored, null, 2)}\n`);
    return this.viewOf(stored);
  }

  /** A toolset's view (values masked), or undefined. */
  view(name: string): ToolsetView | undefined {
    const stored = this.read(name);
    return stored ? this.viewOf(stored) : undefined;
  }

  /** A toolset with its parameters (for launching its servers only). @throws SecretBoxError */
  get(name: string): (Toolset & { updatedAt: string }) | undefined {
    const stored = this.read(name);
    if (!stored) return undefined;
    let toolset = this.opened.get(stored);
    if (!toolset) {
      toolset = this.open(stored);
      this.opened.set(stored, toolset);
    }
    return toolset;
  }

  list(): ToolsetView[] {
    let names: string[] = [];
    try {
      names = readdirSync(this.dir).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
    return names
      .map((f) => this.view(f.slice(0, -5)))
      .filter((v): v is ToolsetView => v !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Removes a toolset; false when there was none. */
  delete(name: string): boolean {
    if (!this.read(name)) return false;
    rmSync(this.file(name), { force: true });
    return true;
  }

  private open(stored: StoredToolset): Toolset & { updatedAt: string } {
    return {
      name: stored.name,
      updatedAt: stored.updatedAt,
      ...(stored.description ? { description: stored.description } : {}),
      ...(stored.principals ? { principals: stored.principals } : {}),
      servers: stored.servers.map(({ paramNames: _names, ...s }) => ({
        ...s,
        params: JSON.parse(this.box.unseal(s.params, place(stored.name, s.alias))) as Record<string, string>,
      })),
    };
  }

  private viewOf(stored: StoredToolset): ToolsetView {
    return {
      name: stored.name,
      ...(stored.description ? { description: stored.description } : {}),
      ...(stored.principals ? { principals: stored.principals } : {}),
      servers: stored.servers.map(({ paramNames, params: _sealed, ...s }) => ({
        ...s,
        params: Object.fromEntries(paramNames.map((k) => [k, '***'])),
      })),
      updatedAt: stored.updatedAt,
      updatedBy: stored.updatedBy,
    };
  }
}
