/**
 * @module What the gateway needs to know of an authorization server, found from its issuer URL: RFC 8414
 * metadata first (`/.well-known/oauth-authorization-server` inserted before the issuer's path, §3.1), then
 * OpenID Connect Discovery (`/.well-known/openid-configuration` appended to the issuer, OIDC Discovery
 * 1.0 §4.1, and inserted as RFC 8414 §5 allows). The document must name the very issuer asked for
 * (RFC 8414 §3.3), or an attacker's metadata could stand in for it.
 */

/** The fields of the metadata the resource server uses. */
export interface IssuerMetadata {
  issuer: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
  scopes_supported?: string[];
}

/** Raised when no usable metadata was found; `message` says what was tried. */
export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';
}

/** The discovery URLs of an issuer, in the order they are tried. */
export function discoveryUrls(issuer: string): string[] {
  const u = new URL(issuer);
  const path = u.pathname.replace(/\/+$/, '');
  return [
    `${u.origin}/.well-known/oauth-authorization-server${path}`,
    `${u.origin}${path}/.well-known/openid-configuration`,
    `${u.origin}/.well-known/openid-configuration${path}`,
  ].filter((v, i, all) => all.indexOf(v) === i);
}

/**
 * Fetches the metadata of `issuer`. @throws DiscoveryError when no URL answers a document for this
 * issuer (each failure is named).
 */
export async function discoverIssuer(
  issuer: string,
  fetchFn: typeof fetch = fetch,
  timeoutMs = 10_000,
): Promise<IssuerMetadata> {
  const failures: string[] = [];
  for (const url of discoveryUrls(issuer)) {
    try {
      const res = await fetchFn(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) {
        failures.push(`${url}: HTTP ${res.status}`);
        await res.body?.cancel();
        continue;
      }
      const doc = (await res.json()) as Partial<IssuerMetadata>;
      if (doc.issuer !== issuer) {
        failures.push(`${url}: names issuer '${String(doc.issuer).slice(0, 100)}'`);
        continue;
      }
      return doc as IssuerMetadata;
    } catch (err) {
      failures.push(`${url}: ${(err as Error).message}`);
    }
  }
  throw new DiscoveryError(`No metadata for issuer ${issuer} (${failures.join('; ')})`);
}
