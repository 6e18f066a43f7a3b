/**
 * @module The built-in OAuth 2.1 authorization server (OAUTH_BUILTIN), for an operator without an
 * identity provider: `oidc-provider` (OpenID-certified) under `/oauth`, issuing RFC 9068 JWT access
 * tokens for this gateway's resources only (RFC 8707: the gateway's root or an MCP endpoint under it).
 * Authorization code with PKCE (S256, always), dynamic registration (RFC 7591), Client ID Metadata
 * Documents, refresh tokens (rotated for public clients), revocation. Sign-in and consent are the
 * gateway's own pages (http/routes/authorization-routes.ts); what must survive restarts is kept in the
 * data folder (file-adapter.ts, server-keys.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLocalJWKSet, type JWK } from 'jose';
import Provider, { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Role } from '../../principal.js';
import { resourcePathOf } from '../protected-resource.js';
import type { Accounts } from './accounts.js';
import { FileAdapter, sweepExpired } from './file-adapter.js';
import { publicJwk, type ServerKeys, serverKeys } from './server-keys.js';
import { INTERACTION, MOUNT } from './server-paths.js';

const DAY = 24 * 3600;

export interface AuthorizationServerSettings {
  /** The gateway's public base URL (PUBLIC_URL); the issuer is this + MOUNT. */
  publicUrl: string;
  dataDir: string;
  userScope: string;
  adminScope: string;
  accessTokenTtlSeconds: number;
  /** Fetches Client ID Metadata Documents (oidc-provider's own, which refuses special-use addresses). */
  fetch?: typeof fetch | undefined;
  /** The HTML page of an error shown to a person (the gateway's look, not the provider's). */
  errorPage?: ((message: string) => Promise<string>) | undefined;
}

/**
 * The audience of a token for `resource`, when it is this gateway's: its root, or one of its MCP
 * endpoints, named without its query (a client may send the URL it was given, settings and all: the
 * resource is the endpoint, RFC 9728 §3). Undefined for anything else (a fragment is never allowed, RFC 8707 §2).
 */
export function ownAudience(publicUrl: string, resource: string): string | undefined {
  if (resource.includes('#')) return undefined;
  const bare = resource.split('?')[0] as string;
  if (bare === publicUrl || bare === `${publicUrl}/`) return bare;
  if (!bare.startsWith(`${publicUrl}/`)) return undefined;
  const rest = bare.slice(publicUrl.length);
  return resourcePathOf(rest) === rest ? bare : undefined;
}

export class AuthorizationServer {
  readonly issuer: string;
  /** The public keys its tokens are signed with (the gateway checks them here, with no HTTP). */
  readonly keySet: ReturnType<typeof createLocalJWKSet>;
  private readonly mountPath: string;
  private readonly handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  private readonly sweeper: NodeJS.Timeout;

  private constructor(
    readonly provider: Provider,
    readonly settings: AuthorizationServerSettings,
    readonly accounts: Accounts,
    keys: ServerKeys,
  ) {
    this.issuer = provider.issuer;
    this.mountPath = new URL(this.issuer).pathname;
    this.keySet = createLocalJWKSet({ keys: keys.signing.map(publicJwk) });
    this.handler = provider.callback() as never;
    const grants = `${settings.dataDir}/grants`;
    void sweepExpired(grants);
    this.sweeper = setInterval(() => void sweepExpired(grants), 3600_000).unref();
  }

  /** Reads (or makes) the keys in the data folder and builds the server. */
  static async create(s: AuthorizationServerSettings, accounts: Accounts): Promise<AuthorizationServer> {
    const keys = await serverKeys(s.dataDir);
    const provider = new Provider(`${s.publicUrl}${MOUNT}`, configuration(s, accounts, keys));
    provider.proxy = true; // its URLs come from PUBLIC_URL, set on each request by `prepare`
    return new AuthorizationServer(provider, s, accounts, keys);
  }

  /** The scopes an account of `role` may grant. */
  scopesFor(role: Role): string[] {
    const s = this.settings;
    return role === 'admin' ? [s.userScope, s.adminScope] : [s.userScope];
  }

  /**
   * Makes the provider see the request as its clients do: on the public URL (whatever Host and proxy
   * headers came in) and at `rest`, the path after the mount.
   */
  prepare(req: IncomingMessage, rest: string): void {
    const pub = new URL(this.settings.publicUrl);
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = `${this.mountPath}${rest}`;
    req.url = rest;
    req.headers['x-forwarded-proto'] = pub.protocol.slice(0, -1);
    req.headers['x-forwarded-host'] = pub.host;
  }

  /** Serves a request for `rest` (the path and query after the mount) with Node's own objects. */
  serve(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    this.prepare(req, rest);
    return this.handler(req, res);
  }

  /** Whether `err` is the provider's own (an interaction that ended, a bad request): no server fault. */
  isProviderError(err: unknown): boolean {
    return err instanceof errors.OIDCProviderError;
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

function configuration(s: AuthorizationServerSettings, accounts: Accounts, keys: ServerKeys): Configuration {
  const grantsDir = `${s.dataDir}/grants`;
  const scopes = [s.userScope, s.adminScope];
  return {
    adapter: (name: string) => new FileAdapter(grantsDir, name),
    jwks: { keys: keys.signing as JWK[] } as Configuration['jwks'],
    cookies: { keys: keys.cookies },
    ...(s.fetch ? { fetch: s.fetch } : {}),
    ...(s.errorPage
      ? {
          renderError: async (ctx, out) => {
            ctx.type = 'html';
            ctx.body = await s.errorPage?.(`${out.error}: ${out.error_description ?? ''}`.slice(0, 300));
          },
        }
      : {}),
    findAccount: (_ctx, sub) =>
      accounts.find(sub) ? { accountId: sub, claims: () => ({ sub }) } : undefined,
    scopes: ['openid', 'offline_access', ...scopes],
    // Its one key is ES256: ID tokens (of clients that also ask for openid) are signed with it too.
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
    },
    claims: { openid: ['sub'] },
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `${INTERACTION}/${interaction.uid}` },
    // Every client that may refresh gets a refresh token (MCP clients do not all ask for offline_access).
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: s.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      RefreshToken: 30 * DAY,
      Grant: 30 * DAY,
      Session: DAY,
      Interaction: 3600,
      IdToken: 3600,
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      revocation: { enabled: true },
      clientIdMetadataDocument: { enabled: true, ack: 'draft-02' } as never,
      resourceIndicators: {
        enabled: true,
        // A client that names no resource gets a token for the whole gateway (MCP clients name one).
        defaultResource: (_ctx: KoaContextWithOIDC) => s.publicUrl,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: KoaContextWithOIDC, resource: string) => {
          const audience = ownAudience(s.publicUrl, resource);
          if (!audience)
            throw new errors.InvalidTarget(`${resource.slice(0, 200)} is no resource of this gateway`);
          return {
            scope: scopes.join(' '),
            audience,
            accessTokenTTL: s.accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
  };
}
