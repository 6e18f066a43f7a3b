/**
 * @module The built-in authorization server's secrets, made at its first start and kept in its data
 * folder (mode 0600) so tokens and sessions survive restarts: the ES256 key that signs access tokens
 * (its public half is what the gateway checks them against) and the keys that sign its cookies.
 * Instances sharing the folder share them: the first to start writes the file, the others read it.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { mkdirPrivateSync } from '../../../process/private-dir.js';

export interface ServerKeys {
  /** The private signing keys (JWKs with `kid`, `alg`, `use`). */
  signing: JWK[];
  /** Cookie signing secrets (newest first). */
  cookies: string[];
}

const FILE = 'server-keys.json';

/** The public half of a private JWK (what a JWKS publishes). */
export function publicJwk(k: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = k;
  return pub;
}

async function makeKeys(): Promise<ServerKeys> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return {
    signing: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }],
    cookies: [randomBytes(32).toString('base64url')],
  };
}

/** The keys in `dir`, made and written first when there are none. */
export async function serverKeys(dir: string): Promise<ServerKeys> {
  mkdirPrivateSync(dir);
  const file = path.join(dir, FILE);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServerKeys;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const keys = await makeKeys();
  // Written aside, then linked into place: linking fails if another instance was first, and no reader
  // ever sees half a file.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, JSON.stringify(keys), { mode: 0o600 });
  try {
    linkSync(tmp, file);
    return keys;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return JSON.parse(readFileSync(file, 'utf8')) as ServerKeys;
  } finally {
    rmSync(tmp, { force: true });
  }
}
