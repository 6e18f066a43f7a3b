/**
 * @module The built-in authorization server (OAUTH_BUILTIN) on the gateway's HTTP: its own endpoints
 * (`/oauth/auth`, `/token`, `/reg`, `/jwks`, discovery …) served by oidc-provider on Node's request and
 * answer, its metadata where RFC 8414 and OpenID discovery look for it, and the gateway's sign-in and
 * consent pages. Signing in takes an API key (the account is the key's id) or a listed user's password;
 * consent grants no scope beyond the account's role. Both are audited.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context, Hono } from 'hono';
import type { InteractionResults } from 'oidc-provider';
import { GatewayError } from '../../errors/gateway-error.js';
import type { Account } from '../../policy/oauth/server/accounts.js';
import type { AuthorizationServer } from '../../policy/oauth/server/authorization-server.js';
import { DISCOVERY_PATHS, INTERACTION, MOUNT } from '../../policy/oauth/server/server-paths.js';
import type { AppDeps } from '../app-deps.js';
import {
  type ClientView,
  consentPage,
  interactionErrorPage,
  type ScopeView,
  signInPage,
} from './sign-in-pages.js';

/** Node's request and answer under Hono (real HTTP only). */
function nodeOf(c: Context): { req: IncomingMessage; res: ServerResponse } {
  const env = c.env as Partial<HttpBindings> | undefined;
  if (!env?.incoming || !env.outgoing)
    throw new GatewayError('ROUTE_NOT_FOUND', 'The authorization server answers over HTTP only.');
  return { req: env.incoming, res: env.outgoing as ServerResponse };
}

export function registerAuthorizationRoutes(app: Hono, deps: AppDeps): void {
  const server = deps.authorizationServer;
  if (!server) return;
  const s = server.settings;
  /** Where an interaction's forms post: its path under PUBLIC_URL (whose own path a proxy may strip). */
  const actionOf = (uid: string) =>
    `${new URL(s.publicUrl).pathname.replace(/\/$/, '')}${INTERACTION}/${uid}`;
  const means: Record<string, string> = {
    [s.userScope]: 'use this gateway’s MCP servers as you (launch them, call their tools)',
    [s.adminScope]: 'administer the gateway (every process, the permissions, the audit log)',
    offline_access: 'stay signed in (refresh tokens, up to 30 days)',
    openid: 'know your account id',
  };

  /** The interaction of this request's cookie; an ended or foreign one is a page saying so. */
  const interaction = async (c: Context) => {
    const { req, res } = nodeOf(c);
    try {
      const details = await server.provider.interactionDetails(req, res);
      return details.uid === c.req.param('uid') ? details : undefined;
    } catch (err) {
      if (server.isProviderError(err)) return undefined;
      throw err;
    }
  };
  const ended = (c: Context) =>
    c.html(
      interactionErrorPage('This sign-in has ended or expired, or was started in another browser.'),
      400,
    );
  const clientView = async (clientId: string, redirectUri: unknown): Promise<ClientView> => {
    const client = await server.provider.Client.find(clientId);
    const host = typeof redirectUri === 'string' ? URL.parse(redirectUri)?.host || redirectUri : '?';
    return { name: client?.clientName ?? clientId, returnsTo: host };
  };
  /** Hands the interaction's result back to the provider and sends the browser on (303). */
  const finish = async (c: Context, result: InteractionResults) => {
    const { req, res } = nodeOf(c);
    const to = await server.provider.interactionResult(req, res, result, { mergeWithLastSubmission: false });
    return c.redirect(to, 303);
  };

  app.get(`${INTERACTION}/:uid`, async (c) => {
    const details = await interaction(c);
    if (!details) return ended(c);
    const client = await clientView(String(details.params.client_id), details.params.redirect_uri);
    const action = actionOf(details.uid);
    if (details.prompt.name === 'login')
      return c.html(signInPage({ action, client, users: server.accounts.hasUsers }));
    const account = server.accounts.find(details.session?.accountId ?? '');
    if (!account) return finish(c, { error: 'login_required', error_description: 'The account is gone.' });
    const view = grantView(server, details, account);
    return c.html(
      consentPage({
        action,
        client,
        account: account.id,
        scopes: view.scopes.map((scope) => ({ scope, means: means[scope] ?? scope }) satisfies ScopeView),
        resources: view.resources,
      }),
    );
  });

  app.post(`${INTERACTION}/:uid/login`, async (c) => {
    const details = await interaction(c);
    if (!details) return ended(c);
    const form = await c.req.parseBody();
    const text = (k: string) => (typeof form[k] === 'string' ? (form[k] as string).slice(0, 512) : '');
    const account =
      text('kind') === 'user'
        ? await server.accounts.withPassword(text('user'), text('password'))
        : server.accounts.withKey(text('key'));
    deps.audit.record({
      type: 'oauth.signin',
      principal: account?.id,
      address: c.get('clientAddress'),
      outcome: account ? 'ok' : 'refused',
      detail: `client ${String(details.params.client_id).slice(0, 200)}`,
    });
    if (!account) {
      const client = await clientView(String(details.params.client_id), details.params.redirect_uri);
      const error = text('kind') === 'user' ? 'Wrong user or password.' : 'That API key is not valid here.';
      return c.html(
        signInPage({ action: actionOf(details.uid), client, users: server.accounts.hasUsers, error }),
        401,
      );
    }
    return finish(c, { login: { accountId: account.id } });
  });

  app.post(`${INTERACTION}/:uid/consent`, async (c) => {
    const details = await interaction(c);
    if (details?.prompt.name !== 'consent') return ended(c);
    const account = server.accounts.find(details.session?.accountId ?? '');
    if (!account) return finish(c, { error: 'login_required', error_description: 'The account is gone.' });
    const view = grantView(server, details, account);
    const grant = details.grantId
      ? await server.provider.Grant.find(details.grantId)
      : new server.provider.Grant({ accountId: account.id, clientId: String(details.params.client_id) });
    if (!grant) return ended(c);
    if (view.oidc.length > 0) grant.addOIDCScope(view.oidc.join(' '));
    // What the role does not allow is rejected: the token goes without it (else the provider asks again).
    if (view.refused.length > 0) grant.rejectOIDCScope(view.refused.join(' '));
    for (const r of view.resources) {
      grant.addResourceScope(r, view.resourceScopes.join(' '));
      if (view.refused.length > 0) grant.rejectResourceScope(r, view.refused.join(' '));
    }
    const grantId = await grant.save();
    deps.audit.record({
      type: 'oauth.consent',
      principal: account.id,
      address: c.get('clientAddress'),
      outcome: 'ok',
      detail: `client ${String(details.params.client_id).slice(0, 200)}: ${view.scopes.join(' ')}`,
    });
    return finish(c, { consent: details.grantId ? {} : { grantId } });
  });

  app.post(`${INTERACTION}/:uid/abort`, async (c) => {
    if (!(await interaction(c))) return ended(c);
    return finish(c, { error: 'access_denied', error_description: 'The user did not allow access.' });
  });

  // The metadata where RFC 8414 and OpenID discovery look beside the mount: the provider's own document.
  for (const p of DISCOVERY_PATHS)
    app.get(p, async (c) => {
      const { req, res } = nodeOf(c);
      await server.serve(req, res, '/.well-known/openid-configuration');
      return RESPONSE_ALREADY_SENT;
    });
  app.all(`${MOUNT}/*`, async (c) => {
    const { req, res } = nodeOf(c);
    const raw = req.url ?? '';
    await server.serve(req, res, raw.slice(raw.indexOf(MOUNT) + MOUNT.length) || '/');
    return RESPONSE_ALREADY_SENT;
  });
}

/**
 * What a consent grants: of the scopes asked for, OpenID's own and those the account's role allows,
 * both as the provider's scopes and for each resource (the provider checks both kinds).
 */
function grantView(
  server: AuthorizationServer,
  details: Awaited<ReturnType<AuthorizationServer['provider']['interactionDetails']>>,
  account: Account,
) {
  const asked = String(details.params.scope ?? '')
    .split(' ')
    .filter(Boolean);
  const allowed = server.scopesFor(account.role);
  const resourceScopes = asked.filter((x) => allowed.includes(x));
  const oidc = asked.filter((x) => x === 'openid' || x === 'offline_access' || allowed.includes(x));
  const missing = (details.prompt.details.missingResourceScopes ?? {}) as Record<string, string[]>;
  const named = details.params.resource;
  const resources = Object.keys(missing).length
    ? Object.keys(missing)
    : (Array.isArray(named) ? named : [named ?? server.settings.publicUrl]).map(String);
  const refused = asked.filter((x) => !oidc.includes(x));
  return { oidc, resourceScopes, refused, resources, scopes: [...new Set([...resourceScopes, ...oidc])] };
}
