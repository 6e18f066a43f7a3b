/**
 * @module Where the built-in authorization server answers, and which of its paths browsers may reach
 * from other sites: a client sends its user's browser to the authorization endpoint from anywhere (so
 * that navigation, and the sign-in page it is redirected to, are cross-site), and browser-based clients
 * call the token and registration endpoints with CORS. Only the submissions of the sign-in and consent
 * forms must come from the gateway's own pages.
 */

/** The server's mount under the gateway's public URL (its issuer is PUBLIC_URL + MOUNT). */
export const MOUNT = '/oauth';

/** The sign-in and consent pages of an interaction: `${INTERACTION}/<uid>`. */
export const INTERACTION = `${MOUNT}/interaction`;

/**
 * Its metadata where clients look for it beside the mount: RFC 8414 §3.1 inserts the well-known path
 * before the issuer's path; OpenID Connect Discovery appends it (the provider's own) or, as RFC 8414 §5
 * allows, inserts it.
 */
export const DISCOVERY_PATHS = [
  `/.well-known/oauth-authorization-server${MOUNT}`,
  `/.well-known/openid-configuration${MOUNT}`,
  `${MOUNT}/.well-known/oauth-authorization-server`,
];

/** True for a path of the authorization server (public: it is how callers get a token). */
export const isServerPath = (path: string): boolean =>
  path === MOUNT || path.startsWith(`${MOUNT}/`) || DISCOVERY_PATHS.includes(path);

/** True for a request browsers may make from any site (every one of the server's but a form submission). */
export const openToBrowsers = (method: string, path: string): boolean =>
  isServerPath(path) && (method === 'GET' || method === 'HEAD' || !path.startsWith(`${INTERACTION}/`));
