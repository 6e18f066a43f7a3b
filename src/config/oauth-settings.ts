/**
 * @module The OAuth settings: the authorization servers whose tokens the gateway accepts (OAUTH_ISSUER),
 * the scopes that make roles, introspection, and the built-in authorization server (OAUTH_BUILTIN).
 */
import path from 'node:path';
import { z } from 'zod';
import { bool, list } from './schema-parts.js';

/** An issuer URL: https, or http on a loopback host (a local IdP, tests); no query or fragment. */
export function isIssuerUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    if (u.search || u.hash) return false;
    const loopback =
      ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) || u.hostname.endsWith('.localhost');
    return u.protocol === 'https:' || (u.protocol === 'http:' && loopback);
  } catch {
    return false;
  }
}

export const OAuthSchema = z.object({
  /**
   * Authorization servers whose access tokens (RFC 9068 JWTs) this gateway accepts, as their issuer
   * URLs; setting one turns OAuth on. https, except on loopback (a local IdP, tests).
   */
  issuers: list.default([]).refine((l) => l.every(isIssuerUrl), {
    message: 'each issuer must be an https URL (http only on a loopback host), with no query or fragment',
  }),
  /** The scope that makes a token's holder a user. */
  userScope: z.string().min(1).default('mcp:user'),
  /** The scope that makes a token's holder an admin. */
  adminScope: z.string().min(1).default('mcp:admin'),
  /** Client credentials for RFC 7662 introspection of opaque tokens (off when unset). */
  introspectionClientId: z.string().optional(),
  introspectionClientSecret: z.string().optional(),
  /** Leeway for `exp` and `nbf` against clock skew, seconds. */
  clockSkewSeconds: z.coerce.number().int().min(0).max(300).default(30),
  /**
   * Serve an authorization server of the gateway's own under `/oauth` (its issuer: PUBLIC_URL + `/oauth`)
   * and accept its tokens: people sign in with an API key or as a user of `users`.
   */
  builtin: bool.default(false),
  /** Where the built-in server keeps its signing keys, registered clients and grants (mode 0700). */
  dataDir: z.string().default(path.resolve('.data/oauth')),
  /** People who may sign in to the built-in server: `name:role:scrypt-hash` (`npm run oauth-user`). */
  users: list.default([]),
  /** How long an access token of the built-in server lasts, seconds (refresh tokens: 30 days). */
  accessTokenTtlSeconds: z.coerce.number().int().min(60).max(86_400).default(3600),
});
