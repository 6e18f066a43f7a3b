/**
 * @module What a web browser may ask of the gateway (pure). Browsers attach no `Origin` to image loads,
 * scripts, iframes, prefetches, form GETs and top-level navigations, so an Origin check alone lets any web
 * page drive a loopback gateway with `<img src=…/stdio>` (the class of CVE-2025-49596). Every browser in use
 * sends Fetch Metadata (`Sec-Fetch-Site`, W3C Fetch Metadata Request Headers §2.1) on every request, which
 * tells a request another site caused apart from one the user made or the gateway's own page made. The
 * rule (a Resource Isolation Policy, per web.dev/fetch-metadata):
 * - `same-origin` and `none` (the user typed the URL or used a bookmark) pass;
 * - `cross-site` and `same-site` pass only with an `Origin` the operator allows (`ALLOWED_ORIGINS`;
 *   for the read-only registry API also `REGISTRY_API_CORS`), so browser MCP clients on allowed origins
 *   keep working through CORS; the dashboard page and its static assets may be loaded from anywhere;
 * - without Fetch Metadata (non-browser clients, very old browsers) an `Origin` or `Referer` naming
 *   another, not allowed origin is refused; a request with neither is a program's and passes.
 */

/** The headers and target of one request the rule looks at. */
export interface BrowserSignals {
  /** The request URL (its host decides what is same-origin). */
  url: string;
  path: string;
  origin: string | undefined;
  /** `Sec-Fetch-Site`: same-origin, same-site, cross-site or none. */
  site: string | undefined;
  referer: string | undefined;
}

export interface BrowserRule {
  /** Origins allowed to use the gateway from a browser (`ALLOWED_ORIGINS`, compiled). */
  allowedOrigins: readonly RegExp[];
  /** Origins allowed to read the registry API from a browser (`REGISTRY_API_CORS`), or any. */
  registryOrigins: readonly RegExp[] | 'any';
  /** Paths any page may load (the dashboard page and its assets: they act only with the user's key). */
  publicPaths: { has(path: string): boolean };
}

export type BrowserVerdict =
  | { ok: true }
  | { ok: false; origin: string | undefined; site: string | undefined; why: string };

/** The registry API's read-only routes (CORS of their own). */
export const isRegistryApiPath = (p: string): boolean => p.startsWith('/v0.1/');

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/** The origin (scheme://host:port) of a URL, or undefined when it is not one. */
function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.origin === 'null' ? undefined : u.origin;
  } catch {
    return undefined;
  }
}

function allowedOrigin(origin: string, path: string, rule: BrowserRule): boolean {
  if (rule.allowedOrigins.some((re) => re.test(origin))) return true;
  if (!isRegistryApiPath(path)) return false;
  return rule.registryOrigins === 'any' || rule.registryOrigins.some((re) => re.test(origin));
}

/** Whether a request may proceed as far as browsers are concerned, and why not. */
export function judgeBrowserRequest(r: BrowserSignals, rule: BrowserRule): BrowserVerdict {
  const site = r.site?.toLowerCase();
  const ownHost = hostOf(r.url);
  const refuse = (why: string): BrowserVerdict => ({ ok: false, origin: r.origin, site, why });
  if (rule.publicPaths.has(r.path)) return { ok: true };
  if (r.origin !== undefined) {
    // `Origin: null` (sandboxed iframes, file: pages, some redirects) is never an allowed origin.
    if (r.origin !== 'null' && hostOf(r.origin) === ownHost) return { ok: true };
    if (r.origin !== 'null' && allowedOrigin(r.origin, r.path, rule)) return { ok: true };
    return refuse('the request comes from a web page on an origin this gateway does not allow');
  }
  if (site === 'cross-site' || site === 'same-site')
    return refuse(`a page on another ${site === 'same-site' ? 'origin' : 'site'} caused this request`);
  if (site === 'same-origin' || site === 'none') return { ok: true };
  // No Fetch Metadata: a program, or a browser too old to send it, whose Referer still tells.
  const from = r.referer ? originOf(r.referer) : undefined;
  if (from && hostOf(from) !== ownHost && !allowedOrigin(from, r.path, rule))
    return refuse('the request was made from a web page on an origin this gateway does not allow');
  return { ok: true };
}
