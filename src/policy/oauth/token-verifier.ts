/**
 * @module Access tokens of the configured authorization servers, checked once and remembered until they
 * expire. JWTs (RFC 9068) are verified with `jose` against the issuer's JWKS (found by discovery, refetched
 * when a token names a key it does not hold: key rotation): the signature with an allow-list of asymmetric
 * algorithms (no `none`, no HMAC: a public key can never serve as a shared secret), `iss` exactly, `typ`
 * `at+jwt`, `exp`/`nbf` with a small leeway. Opaque tokens go to RFC 7662 introspection when client
 * credentials for it are configured. The audience is checked per request (RFC 8707), against the resource
 * asked for, by the caller of `grant`.
 */
import {
  createRemoteJWKSet,
  decodeJwt,
  errors as JoseErrors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { type DiscoveryError, discoverIssuer, type IssuerMetadata } from './issuer-discovery.js';

/** What a valid token grants. */
export interface TokenGrant {
  issuer: string;
  subject: string;
  scopes: readonly string[];
  audience: readonly string[];
  /** When it stops being accepted (epoch ms): its `exp`, or sooner for an introspected token. */
  until: number;
  clientId?: string | undefined;
}

/** A token refused: `reason` is safe to show its holder. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
}

export interface TokenVerifierSettings {
  issuers: readonly string[];
  clockSkewSeconds: number;
  introspectionClientId?: string | undefined;
  introspectionClientSecret?: string | undefined;
  /** An issuer whose keys are at hand (the built-in authorization server): no discovery, no HTTP. */
  local?: { issuer: string; keySet: JWTVerifyGetKey } | undefined;
}

/** Signature algorithms accepted: asymmetric only (RFC 9068 §4; RFC 8725 §3.1). */
export const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

/** Grants remembered at most (a FIFO: the oldest goes first). */
const CACHE_SIZE = 10_000;
/**
 * A token naming a key the cached JWKS lacks refetches it (rotation), at most this often per issuer, ms:
 * soon enough for a rotation, rarely enough that made-up key ids cannot make the gateway hammer the IdP.
 */
const JWKS_COOLDOWN_MS = 5_000;
/** An introspected token is asked about again after this, so a revocation takes effect, ms. */
const INTROSPECTION_TTL_MS = 60_000;

interface Issuer {
  metadata: IssuerMetadata;
  jwks?: JWTVerifyGetKey;
}

const list = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
const scopesOf = (v: unknown): string[] => (typeof v === 'string' ? v.split(' ').filter(Boolean) : []);

export class TokenVerifier {
  private readonly grants = new Map<string, TokenGrant>();
  private readonly issuers = new Map<string, Promise<Issuer>>();

  constructor(
    private readonly s: TokenVerifierSettings,
    private readonly fetchFn: typeof fetch = fetch,
    private readonly now: () => number = Date.now,
  ) {}

  /** The grant of `token`: at once when it was checked before, else once checked. @throws TokenError */
  grant(token: string): TokenGrant | Promise<TokenGrant> {
    const known = this.grants.get(token);
    if (known && known.until > this.now()) return known;
    if (known) this.grants.delete(token);
    return this.check(token).then((g) => {
      if (this.grants.size >= CACHE_SIZE) this.grants.delete(this.grants.keys().next().value as string);
      this.grants.set(token, g);
      return g;
    });
  }

  private async check(token: string): Promise<TokenGrant> {
    if (token.split('.').length === 3) return this.verifyJwt(token);
    if (this.s.introspectionClientId) return this.introspect(token);
    throw new TokenError('The token is not a JWT access token, and no introspection is configured.');
  }

  /** The metadata (and JWKS) of a configured issuer, found once; a failed discovery is tried again next time. */
  private issuer(iss: string): Promise<Issuer> {
    let found = this.issuers.get(iss);
    const local = this.s.local;
    if (!found && local?.issuer === iss) {
      found = Promise.resolve({ metadata: { issuer: iss }, jwks: local.keySet });
      this.issuers.set(iss, found);
    }
    if (!found) {
      found = discoverIssuer(iss, this.fetchFn).then((metadata) => ({
        metadata,
        ...(metadata.jwks_uri
          ? { jwks: createRemoteJWKSet(new URL(metadata.jwks_uri), { cooldownDuration: JWKS_COOLDOWN_MS }) }
          : {}),
      }));
      found.catch(() => this.issuers.delete(iss));
      this.issuers.set(iss, found);
    }
    return found;
  }

  private async verifyJwt(token: string): Promise<TokenGrant> {
    let claimed: JWTPayload;
    try {
      claimed = decodeJwt(token);
    } catch {
      throw new TokenError('The token is not a well-formed JWT.');
    }
    const iss = claimed.iss;
    if (typeof iss !== 'string' || !this.s.issuers.includes(iss))
      throw new TokenError('The token was not issued by an authorization server this gateway trusts.');
    const { jwks } = await this.issuer(iss).catch((err: unknown) => {
      throw new TokenError(`The issuer's keys cannot be read now: ${(err as DiscoveryError).message}`);
    });
    if (!jwks) throw new TokenError('The issuer publishes no signing keys (jwks_uri).');
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: iss,
        algorithms: ALGORITHMS,
        typ: 'at+jwt',
        clockTolerance: this.s.clockSkewSeconds,
        currentDate: new Date(this.now()),
        requiredClaims: ['exp', 'sub', 'aud'],
      });
      return {
        issuer: iss,
        subject: payload.sub as string,
        scopes: scopesOf(payload.scope),
        audience: list(payload.aud),
        until: (payload.exp as number) * 1000 + this.s.clockSkewSeconds * 1000,
        clientId: typeof payload.client_id === 'string' ? payload.client_id : undefined,
      };
    } catch (err) {
      throw new TokenError(reasonOf(err));
    }
  }

  /** RFC 7662: asks each issuer offering introspection; the first that knows the token as active answers. */
  private async introspect(token: string): Promise<TokenGrant> {
    const basic = Buffer.from(
      `${encodeURIComponent(this.s.introspectionClientId ?? '')}:${encodeURIComponent(this.s.introspectionClientSecret ?? '')}`,
    ).toString('base64');
    for (const iss of this.s.issuers) {
      const endpoint = (await this.issuer(iss).catch(() => undefined))?.metadata.introspection_endpoint;
      if (!endpoint) continue;
      const res = await this.fetchFn(endpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
      if (!res?.ok) continue;
      const info = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (info.active !== true) continue;
      if (info.iss !== undefined && info.iss !== iss) continue;
      const now = this.now();
      const exp = typeof info.exp === 'number' ? info.exp * 1000 : now + INTROSPECTION_TTL_MS;
      if (exp <= now - this.s.clockSkewSeconds * 1000) continue;
      // A client's own token (client_credentials) may name no subject: the client is it (RFC 9068 §2.2).
      const subject = typeof info.sub === 'string' ? info.sub : info.client_id;
      if (typeof subject !== 'string') throw new TokenError('The introspected token names no subject.');
      return {
        issuer: iss,
        subject,
        scopes: scopesOf(info.scope),
        audience: list(info.aud),
        until: Math.min(exp, now + INTROSPECTION_TTL_MS),
        clientId: typeof info.client_id === 'string' ? info.client_id : undefined,
      };
    }
    throw new TokenError('The token is not active at any trusted authorization server.');
  }
}

/** Why jose refused a token, in words for its holder. */
function reasonOf(err: unknown): string {
  if (err instanceof JoseErrors.JWTExpired) return 'The token has expired.';
  if (err instanceof JoseErrors.JWTClaimValidationFailed)
    return `The token's "${err.claim}" claim is not acceptable (${err.reason}).`;
  if (err instanceof JoseErrors.JOSEAlgNotAllowed)
    return 'The token is signed with an algorithm this gateway refuses.';
  if (err instanceof JoseErrors.JWSSignatureVerificationFailed) return 'The token signature is not valid.';
  if (err instanceof JoseErrors.JWKSNoMatchingKey)
    return 'The token was signed with a key the issuer does not publish.';
  if (err instanceof JoseErrors.JOSEError) return `The token is not valid (${err.code}).`;
  return 'The token could not be verified.';
}
