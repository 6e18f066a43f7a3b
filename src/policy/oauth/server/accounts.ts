/**
 * @module Who may sign in to the built-in authorization server, and as whom: the holder of an API key
 * (the account is the key's id, so a token acts as that key: its permissions, its processes) or a user
 * of the operator's list (`name:role:scrypt$…`, the account `user:<name>`). Passwords are stored as
 * scrypt hashes (RFC 7914) and compared in constant time; a key is compared as the gateway always does.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { ApiKeys } from '../../api-keys.js';
import type { Role } from '../../principal.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, o: object) => Promise<Buffer>;

/** scrypt cost: N=2^15, r=8 (32 MiB, ~0.1 s): guessing a password costs an attacker as much per try. */
const COST = { N: 32_768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const LENGTH = 32;

const ENTRY =
  /^([A-Za-z0-9][A-Za-z0-9_.@-]{0,63}):(user|admin):scrypt\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9_-]{43})$/;

/** Thrown for a malformed OAUTH_USERS entry. */
export class UserEntryError extends Error {
  override readonly name = 'UserEntryError';
}

/** The OAUTH_USERS entry of `name` with `password` (role user or admin). */
export async function userEntry(name: string, role: Role, password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, LENGTH, COST);
  const entry = `${name}:${role}:scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`;
  if (!ENTRY.test(entry))
    throw new UserEntryError(`Invalid user name '${name}': use letters, digits, _ . @ -`);
  return entry;
}

interface User {
  role: Role;
  salt: Buffer;
  hash: Buffer;
}

/** An account that signed in: its id (a token's `sub`) and its role (the most its tokens may grant). */
export interface Account {
  id: string;
  role: Role;
}

const USER_PREFIX = 'user:';

export class Accounts {
  private readonly users = new Map<string, User>();

  /** @throws UserEntryError for a malformed entry or a name given twice. */
  constructor(
    private readonly keys: ApiKeys,
    entries: readonly string[],
  ) {
    for (const raw of entries) {
      const m = ENTRY.exec(raw.trim());
      if (!m)
        throw new UserEntryError(
          `Invalid OAUTH_USERS entry '${raw.slice(0, 24)}…': expected name:role:scrypt$salt$hash (npm run oauth-user -- <name> <role>)`,
        );
      const [, name, role, salt, hash] = m as unknown as [string, string, Role, string, string];
      if (this.users.has(name)) throw new UserEntryError(`OAUTH_USERS names '${name}' twice.`);
      this.users.set(name, {
        role,
        salt: Buffer.from(salt, 'base64url'),
        hash: Buffer.from(hash, 'base64url'),
      });
    }
  }

  /** Whether users with passwords are listed (the sign-in page offers their form). */
  get hasUsers(): boolean {
    return this.users.size > 0;
  }

  /** Whether anyone can sign in at all. */
  get empty(): boolean {
    return this.keys.size === 0 && this.users.size === 0;
  }

  /** The account of an API key, or undefined. */
  withKey(key: string): Account | undefined {
    const p = this.keys.size > 0 ? this.keys.authenticate(key.trim()) : null;
    return p ? { id: p.id, role: p.role } : undefined;
  }

  /** The account of a listed user with the right password, or undefined (as slow either way). */
  async withPassword(name: string, password: string): Promise<Account | undefined> {
    const user = this.users.get(name);
    const salt = user?.salt ?? Buffer.alloc(16);
    const hash = await scrypt(password, salt, LENGTH, COST);
    if (!user || !timingSafeEqual(hash, user.hash)) return undefined;
    return { id: `${USER_PREFIX}${name}`, role: user.role };
  }

  /** The account `id` as it stands now: undefined once its key or user is gone (its refresh tokens stop). */
  find(id: string): Account | undefined {
    if (id.startsWith(USER_PREFIX)) {
      const user = this.users.get(id.slice(USER_PREFIX.length));
      return user ? { id, role: user.role } : undefined;
    }
    const role = this.keys.roleOf(id);
    return role ? { id, role } : undefined;
  }
}
