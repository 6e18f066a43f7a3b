/**
 * @module Secrets at rest (the toolsets' stored parameters): AES-256-GCM with a key from SECRETS_KEY
 * (32 bytes, base64 or hex) or else a key file the gateway makes once (`<STORE_DIR>/secrets.key`, mode
 * 0600, created exclusively so that instances of one host agree on it). Each value is sealed with the
 * place it belongs to as associated data, so a sealed value moved to another place does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/config.js';

const PREFIX = 'v1';

/** Thrown for a key that is not 32 bytes, or a sealed value that does not open. */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

/** 32 bytes from base64 (44 characters) or hex (64), else undefined. */
function parseKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-f]{64}$/i.test(t)) return Buffer.from(t, 'hex');
  const b = Buffer.from(t, 'base64');
  return b.length === 32 ? b : undefined;
}

export class SecretBox {
  private constructor(
    private readonly key: Buffer,
    /** Where the key came from (the answer of a misconfiguration names it). */
    readonly source: string,
  ) {}

  /** The key of SECRETS_KEY, or of `<dir>/secrets.key` (made when missing). @throws SecretBoxError */
  static open(fromEnv: string | undefined, dir: string): SecretBox {
    if (fromEnv !== undefined) {
      const key = parseKey(fromEnv);
      if (!key) throw new SecretBoxError('SECRETS_KEY must be 32 bytes, base64 (44 characters) or hex (64).');
      return new SecretBox(key, 'SECRETS_KEY');
    }
    const file = path.join(dir, 'secrets.key');
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const key = parseKey(readFileSync(file, 'utf8'));
    if (!key) throw new SecretBoxError(`${file} does not hold a 32-byte key (base64 or hex).`);
    return new SecretBox(key, file);
  }

  /** The box of the store's settings; a bad SECRETS_KEY stops the start (ConfigError) with what to fix. */
  static forConfig(store: { secretsKey?: string | undefined; dir: string }): SecretBox {
    try {
      return SecretBox.open(store.secretsKey, store.dir);
    } catch (err) {
      if (err instanceof SecretBoxError) throw new ConfigError(err.message);
      throw err;
    }
  }

  /** `plain` sealed for `place`. */
  seal(plain: string, place: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(place));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [PREFIX, iv, cipher.getAuthTag(), body]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  /** The plain text sealed for `place`. @throws SecretBoxError for another key, place or a changed value */
  unseal(sealed: string, place: string): string {
    const [prefix, iv, tag, body] = sealed.split('.');
    if (prefix !== PREFIX || !iv || !tag || body === undefined)
      throw new SecretBoxError(`Not a sealed value (${place}).`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(place));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new SecretBoxError(
        `The stored secret of ${place} does not open with the key of ${this.source} (another key, or changed).`,
      );
    }
  }
}
