/**
 * @module Who is calling, from the credential a request presents: an API key, an OAuth access token of a
 * trusted issuer (when OAUTH_ISSUER is set), or none (the anonymous caller of an open registry, or the
 * local operator of a loopback gateway without keys or OAuth). Answers at once when it can (keys,
 * tokens seen before), so the hot path awaits nothing as a rule.
 */
import { GatewayError } from '../errors/gateway-error.js';
import { type ApiKeys, isApiKeyForm } from './api-keys.js';
import {
  audiencesFor,
  challengeHeader,
  metadataUrlFor,
  type ResourceSettings,
} from './oauth/protected-resource.js';
import { TokenError, type TokenGrant, type TokenVerifier } from './oauth/token-verifier.js';
import { anonymousPrincipal, LOCAL_OPERATOR, type Principal, type Role } from './principal.js';

/** Where a request goes: the base URL clients use (PUBLIC_URL or the request's origin) and the path. */
export interface RequestPlace {
  base: string;
  path: string;
}

export interface OAuthPart {
  verifier: TokenVerifier;
  settings: ResourceSettings;
  /**
   * The built-in authorization server's issuer and its accounts' roles now (undefined: the account is
   * gone). Its tokens act as their account: the principal is the account id (an API key's id is that
   * key's principal), with no more than the account's role.
   */
  builtin?: { issuer: string; roleOf(account: string): Role | undefined } | undefined;
}

export class Authenticator {
  constructor(
    readonly keys: ApiKeys,
    private readonly openRegistry: boolean,
    readonly oauth?: OAuthPart,
  ) {}

  /**
   * The principal of `credential` (the bearer value or X-API-Key) from `address`; `place` is asked only
   * when OAuth is on. @throws GatewayError AUTH_REQUIRED, AUTH_INVALID, TOKEN_INVALID, INSUFFICIENT_SCOPE
   */
  principal(
    credential: string | undefined,
    address: string,
    place: () => RequestPlace,
  ): Principal | Promise<Principal> {
    if (credential !== undefined) {
      const keyed = this.keys.size > 0 ? this.keys.authenticate(credential) : null;
      if (keyed) return keyed;
      // A key of the gateway's own form that matches none is a wrong key, never a token to verify.
      if (this.oauth && !isApiKeyForm(credential)) return this.fromToken(this.oauth, credential, place());
      if (this.keys.size > 0 || this.oauth)
        throw new GatewayError('AUTH_INVALID', 'The API key is not valid.');
    }
    if (this.openRegistry) return anonymousPrincipal(address);
    if (this.oauth) {
      const where = place();
      const resourceMetadata = metadataUrlFor(where.base, where.path);
      throw new GatewayError('AUTH_REQUIRED', 'This gateway needs an access token or an API key.', {
        resourceMetadata,
        wwwAuthenticate: challengeHeader({ resourceMetadata, scope: this.oauth.settings.userScope }),
      });
    }
    if (this.keys.size === 0) return LOCAL_OPERATOR;
    throw new GatewayError('AUTH_REQUIRED', 'This gateway needs an API key.');
  }

  private fromToken(oauth: OAuthPart, token: string, where: RequestPlace): Principal | Promise<Principal> {
    let grant: TokenGrant | Promise<TokenGrant>;
    try {
      grant = oauth.verifier.grant(token);
    } catch (err) {
      throw this.invalid(oauth, where, err);
    }
    if (grant instanceof Promise)
      return grant.then(
        (g) => this.admit(oauth, g, where),
        (err: unknown) => {
          throw this.invalid(oauth, where, err);
        },
      );
    return this.admit(oauth, grant, where);
  }

  /** The principal of a valid grant used at `where`: its audience must name this resource, its scopes a role. */
  private admit(oauth: OAuthPart, g: TokenGrant, where: RequestPlace): Principal {
    const accepted = audiencesFor(where.base, where.path);
    if (!g.audience.some((a) => accepted.includes(a)))
      throw this.invalid(
        oauth,
        where,
        new TokenError(`The token is for another resource (audience), not ${accepted[0]}.`),
      );
    const s = oauth.settings;
    const role = g.scopes.includes(s.adminScope)
      ? 'admin'
      : g.scopes.includes(s.userScope)
        ? 'user'
        : undefined;
    if (!role) {
      const resourceMetadata = metadataUrlFor(where.base, where.path);
      throw new GatewayError('INSUFFICIENT_SCOPE', `The token lacks the scope '${s.userScope}'.`, {
        requiredScope: s.userScope,
        wwwAuthenticate: challengeHeader({
          resourceMetadata,
          scope: s.userScope,
          error: 'insufficient_scope',
        }),
      });
    }
    if (oauth.builtin?.issuer === g.issuer) {
      const held = oauth.builtin.roleOf(g.subject);
      if (!held) throw this.invalid(oauth, where, new TokenError('The account of this token is gone.'));
      return { id: g.subject, role: held === 'user' ? 'user' : role, anonymous: false, scopes: g.scopes };
    }
    const several = s.issuers.length > 1;
    const id = `oauth:${several ? `${new URL(g.issuer).host}:` : ''}${g.subject}`.slice(0, 200);
    return { id, role, anonymous: false, scopes: g.scopes };
  }

  private invalid(oauth: OAuthPart, where: RequestPlace, err: unknown): GatewayError {
    if (err instanceof GatewayError) return err;
    const reason = err instanceof TokenError ? err.message : 'The token could not be verified.';
    const resourceMetadata = metadataUrlFor(where.base, where.path);
    return new GatewayError('TOKEN_INVALID', reason, {
      reason,
      resource: audiencesFor(where.base, where.path)[0],
      resourceMetadata,
      wwwAuthenticate: challengeHeader({
        resourceMetadata,
        scope: oauth.settings.userScope,
        error: 'invalid_token',
        description: reason,
      }),
    });
  }
}
