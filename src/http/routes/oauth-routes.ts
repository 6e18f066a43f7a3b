/**
 * @module OAuth protected resource metadata (RFC 9728 §3): at the root, and after the prefix for each MCP
 * endpoint (`/.well-known/oauth-protected-resource/package/X/mcp`). Public, and readable by pages of any
 * origin (browser-based MCP clients read it before they have a token); nothing here is secret.
 */
import type { Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { GatewayError } from '../../errors/gateway-error.js';
import { METADATA_PREFIX, metadataDocument } from '../../policy/oauth/protected-resource.js';
import type { AppDeps } from '../app-deps.js';

export function registerOAuthRoutes(app: Hono, deps: AppDeps): void {
  const oauth = deps.auth.oauth;
  const serve = (c: Context) => {
    const resourcePath = c.req.path.slice(METADATA_PREFIX.length);
    const base = deps.config.http.publicUrl ?? new URL(c.req.url).origin;
    const doc = oauth ? metadataDocument(base, resourcePath, oauth.settings) : undefined;
    if (!doc)
      throw new GatewayError(
        'ROUTE_NOT_FOUND',
        oauth
          ? `${resourcePath.slice(0, 200)} is no MCP endpoint of this gateway.`
          : 'This gateway takes no OAuth tokens (OAUTH_ISSUER is not set).',
      );
    c.header('cache-control', 'public, max-age=300');
    return c.json(doc);
  };
  app.use(`${METADATA_PREFIX}/*`, cors({ origin: '*', allowMethods: ['GET'] }));
  app.use(METADATA_PREFIX, cors({ origin: '*', allowMethods: ['GET'] }));
  app.get(METADATA_PREFIX, serve);
  app.get(`${METADATA_PREFIX}/*`, serve);
}
