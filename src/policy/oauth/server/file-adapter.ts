/**
 * @module Where the built-in authorization server keeps what must outlive a restart (oidc-provider's
 * adapter interface): registered clients, grants, refresh tokens, sessions, codes. One JSON file per
 * entry under `<dir>/<model>/`, named by a hash of its id (ids never become paths), written whole
 * (rename), mode 0600. Instances that share the folder (a cluster on one host) share the entries.
 * Expired entries read as absent and are swept; a registered client that is not used for 90 days expires.
 */
import { createHash } from 'node:crypto';
import { appendFile, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { writeFileAtomic } from '../../../process/atomic-file.js';
import { mkdirPrivateSync } from '../../../process/private-dir.js';

/** A registered client (dynamic registration) unused this long is forgotten, ms. */
const CLIENT_IDLE_MS = 90 * 24 * 3600_000;
/** A client's expiry is pushed on when it is used and at most this much of it has run, ms. */
const CLIENT_TOUCH_MS = 24 * 3600_000;
/** A grant's index of entries is removed this long after its last write, ms (past any refresh token). */
const INDEX_LIFE_MS = 60 * 24 * 3600_000;

interface Entry {
  payload: AdapterPayload;
  /** Epoch ms; absent: never. */
  expiresAt?: number;
  /** The entry's id, for an index file (uid, user code). */
  id?: string;
}

const hashOf = (s: string) => createHash('sha256').update(s).digest('base64url');

export class FileAdapter implements Adapter {
  private readonly dir: string;

  constructor(
    root: string,
    private readonly model: string,
    private readonly now: () => number = Date.now,
  ) {
    this.dir = path.join(root, model.replace(/[^A-Za-z]/g, ''));
    mkdirPrivateSync(this.dir);
  }

  private file(kind: 'id' | 'uid' | 'code' | 'grant', key: string): string {
    return path.join(this.dir, `${kind}-${hashOf(key)}.${kind === 'grant' ? 'idx' : 'json'}`);
  }

  private expiry(expiresIn: number | undefined): number | undefined {
    if (expiresIn) return this.now() + expiresIn * 1000;
    return this.model === 'Client' ? this.now() + CLIENT_IDLE_MS : undefined;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = this.expiry(expiresIn);
    await writeFileAtomic(this.file('id', id), JSON.stringify({ payload, expiresAt } satisfies Entry));
    const link = (kind: 'uid' | 'code', key: string) =>
      writeFileAtomic(this.file(kind, key), JSON.stringify({ payload: {}, expiresAt, id } satisfies Entry));
    if (payload.uid) await link('uid', payload.uid);
    if (payload.userCode) await link('code', payload.userCode);
    if (payload.grantId) await appendFile(this.file('grant', payload.grantId), `${id}\n`, { mode: 0o600 });
  }

  /** The entry in `file`, or undefined when it is absent, unreadable or expired (then it is removed). */
  private async read(file: string): Promise<Entry | undefined> {
    let entry: Entry;
    try {
      entry = JSON.parse(await readFile(file, 'utf8')) as Entry;
    } catch {
      return undefined;
    }
    if (entry.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      await rm(file, { force: true });
      return undefined;
    }
    return entry;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const entry = await this.read(this.file('id', id));
    if (
      entry &&
      this.model === 'Client' &&
      (entry.expiresAt ?? 0) - this.now() < CLIENT_IDLE_MS - CLIENT_TOUCH_MS
    )
      await this.upsert(id, entry.payload);
    return entry?.payload;
  }

  private async viaIndex(kind: 'uid' | 'code', key: string): Promise<AdapterPayload | undefined> {
    const link = await this.read(this.file(kind, key));
    return link?.id ? this.find(link.id) : undefined;
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.viaIndex('uid', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.viaIndex('code', userCode);
  }

  async consume(id: string): Promise<void> {
    const file = this.file('id', id);
    const entry = await this.read(file);
    if (!entry) return;
    entry.payload.consumed = Math.floor(this.now() / 1000);
    await writeFileAtomic(file, JSON.stringify(entry));
  }

  async destroy(id: string): Promise<void> {
    await rm(this.file('id', id), { force: true });
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const index = this.file('grant', grantId);
    const ids = await readFile(index, 'utf8').catch(() => '');
    for (const id of ids.split('\n').filter(Boolean)) await this.destroy(id);
    await rm(index, { force: true });
  }
}

/** Removes the expired entries under `root` (every model); returns how many went. */
export async function sweepExpired(root: string, now = Date.now()): Promise<number> {
  let removed = 0;
  const models = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const m of models.filter((d) => d.isDirectory())) {
    const dir = path.join(root, m.name);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const file = path.join(dir, name);
      if (name.endsWith('.idx')) {
        // A grant's index outlives none of its entries by more than their longest life (refresh tokens).
        const old = await stat(file).then(
          (s) => now - s.mtimeMs > INDEX_LIFE_MS,
          () => false,
        );
        if (old) await rm(file, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const { expiresAt } = JSON.parse(await readFile(file, 'utf8')) as Entry;
        if (expiresAt !== undefined && expiresAt <= now) {
          await rm(file, { force: true });
          removed++;
        }
      } catch {
        // being written, or removed meanwhile
      }
    }
  }
  return removed;
}
