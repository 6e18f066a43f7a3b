/**
 * A real OAuth 2.1 / OpenID authorization server for the tests: `oidc-provider` (OpenID-certified) on
 * 127.0.0.1, issuing RFC 9068 JWT access tokens for resource indicators (RFC 8707). A confidential
 * client `svc` gets tokens by client_credentials (fast); dynamic registration, PKCE authorization codes
 * and the provider's own sign-in pages (devInteractions) serve the SDK clients' full flow.
 */
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';
import type { Browser } from 'playwright-core';
import { freePort } from './net.js';

export const SVC = { id: 'svc', secret: 'svc-secret-0123456789abcdef' };

export interface TestIssuer {
  issuer: string;
  /** A client_credentials token for `resource` with `scope`. */
  token(resource: string, scope: string): Promise<string>;
  /** Signs any JWT with the issuer's own key (expired tokens and other claims it would not issue). */
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  /** Replaces the signing key (the old one is no longer published). */
  rotate(): Promise<void>;
  close(): Promise<void>;
}

async function signingKey(): Promise<{
  jwk: JWK;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
}> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return {
    jwk: { ...jwk, kid: `k${Date.now()}${Math.random().toString(36).slice(2, 6)}`, alg: 'RS256', use: 'sig' },
    privateKey,
  };
}

/** `opaque`: access tokens are opaque strings, for RFC 7662 introspection. */
export async function startIssuer(opts: { scopes?: string[]; opaque?: boolean } = {}): Promise<TestIssuer> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const scopes = opts.scopes ?? ['mcp:user', 'mcp:admin', 'other'];
  let key = await signingKey();
  const make = () =>
    new Provider(issuer, {
      clients: [
        {
          client_id: SVC.id,
          client_secret: SVC.secret,
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
        },
      ],
      jwks: { keys: [key.jwk] },
      scopes: ['openid', 'offline_access', ...scopes],
      ttl: {
        AccessToken: 600,
        ClientCredentials: 600,
        AuthorizationCode: 60,
        Grant: 600,
        Interaction: 600,
        Session: 600,
        IdToken: 600,
      },
      features: {
        clientCredentials: { enabled: true },
        introspection: { enabled: true },
        registration: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: (_ctx: unknown, _client: unknown, oneOf?: string[]) => oneOf?.[0] ?? undefined,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, resource: string) => ({
            scope: scopes.join(' '),
            audience: resource,
            ...(opts.opaque
              ? { accessTokenFormat: 'opaque' }
              : { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
          }),
        },
      },
    } as never);
  let server: Server | undefined;
  // One server; rotation swaps the provider behind it (a restart would break clients' kept-alive sockets).
  let handle = make().callback();
  server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
  const stop = () =>
    new Promise<void>((resolve) => {
      server?.closeAllConnections();
      server?.close(() => resolve());
    });
  return {
    issuer,
    async token(resource, scope) {
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${SVC.id}:${SVC.secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
      });
      const body = (await res.json()) as { access_token?: string };
      if (!body.access_token) throw new Error(`no token: ${res.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    sign(claims, header = {}) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: key.jwk.kid as string, ...header })
        .sign(key.privateKey);
    },
    async rotate() {
      key = await signingKey();
      handle = make().callback();
    },
    close: stop,
  };
}

/**
 * A person signs in and consents in Chromium on the provider's own pages; resolves with what the server
 * sends back to `redirect` (the code, the state and, RFC 9207, the issuer).
 */
export async function signIn(
  browser: Browser,
  authorizationUrl: URL,
  redirect: string,
): Promise<{ code: string; state: string | null; iss: string | null }> {
  const page = await browser.newPage();
  try {
    const back = page.waitForRequest((r) => r.url().startsWith(redirect), { timeout: 30_000 });
    await page.goto(authorizationUrl.href);
    await page.fill('input[name="login"]', 'alice');
    await page.fill('input[name="password"]', 'any');
    await page.click('button[type="submit"]');
    await page.waitForSelector('button[type="submit"]');
    await page.click('button[type="submit"]'); // consent: the scopes the client asked for
    const params = new URL((await back).url()).searchParams;
    const code = params.get('code');
    if (!code) throw new Error(`no code in the redirect: ${params.toString()}`);
    return { code, state: params.get('state'), iss: params.get('iss') };
  } finally {
    await page.close();
  }
}
