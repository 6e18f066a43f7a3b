/**
 * @module API keys: the operator configures `id:role:sha256-hex` entries (the hash of each key, never the
 * key). A presented key is hashed and compared with every entry in constant time, so neither the stored
 * form nor the timing of a check tells an attacker anything about a key.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal, Role } from './principal.js';

interface KeyEntry {
  id: string;
  role: Role;
  hash: Buffer;
}

/** Thrown for an invalid key entry; the configuration loader reports it. */
export class ApiKeyConfigError extends Error {
  override readonly name = 'ApiKeyConfigError';
}

const ENTRY = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63}):(user|admin):(?:sha256:)?([0-9a-f]{64})$/;

/** SHA-256 of a key, hex. Keys are 256-bit random values, so a fast hash is enough (no guessing). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random key (`mcp_` + 43 base64url characters, 256 bits) and its configuration entry. */
export function generateApiKey(id: string, role: Role): { key: string; entry: string } {
  const key = `mcp_${randomBytes(32).toString('base64url')}`;
  const entry = `${id}:${role}:${hashApiKey(key)}`;
  if (!ENTRY.test(entry)) throw new ApiKeyConfigError(`Invalid key id '${id}': use letters, digits, _ . -`);
  return { key, entry };
}

/** Whether `credential` has the form of a key `generateApiKey` makes (else it may be an access token). */
export const isApiKeyForm = (credential: string): boolean => /^mcp_[A-Za-z0-9_-]{43}$/.test(credential);

/** The configured keys, compiled once. */
export class ApiKeys {
  private readonly entries: KeyEntry[];

  /** @throws ApiKeyConfigError for a malformed entry or a duplicate id. */
  constructor(entries: readonly string[]) {
    const seen = new Set<string>();
    this.entries = entries.map((raw) => {
      const m = ENTRY.exec(raw.trim());
      if (!m)
        throw new ApiKeyConfigError(
          `Invalid API key entry '${raw.slice(0, 24)}…': expected id:role:sha256-hex (npm run api-key -- <id> <role>)`,
        );
      const [, id, role, hex] = m as unknown as [string, string, Role, string];
      if (seen.has(id)) throw new ApiKeyConfigError(`Duplicate API key id '${id}'.`);
      seen.add(id);
      return { id, role, hash: Buffer.from(hex, 'hex') };
    });
  }

  get size(): number {
    return this.entries.length;
  }

  /** The principal a presented key stands for, or null. Every entry is compared (no early exit). */
  authenticate(key: string): Principal | null {
    const presented = createHash('sha256').update(key, 'utf8').digest();
    let match: KeyEntry | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(presented, entry.hash) && !match) match = entry;
    }
    return match ? { id: match.id, role: match.role, anonymous: false } : null;
  }

  /** The role of the key `id`, while it is configured. */
  roleOf(id: string): Role | undefined {
    return this.entries.find((e) => e.id === id)?.role;
  }
}

/** Reads key entries from a file: one per line, `#` comments and blank lines ignored. */
export function parseKeyFile(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);
}
