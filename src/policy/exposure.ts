/**
 * @module Start-up rule for who can reach the gateway: a non-loopback bind needs API keys, or the
 * operator's explicit choice of an open registry (cf. CVE-2025-49596: an unauthenticated process
 * launcher reachable from the network is remote code execution for anyone).
 */
import { readFileSync } from 'node:fs';
import { ApiKeyConfigError, ApiKeys, parseKeyFile } from './api-keys.js';
import { isLoopbackHost } from './host-check.js';

/** Thrown when the gateway must not start as configured. */
export class ExposureError extends Error {
  override readonly name = 'ExposureError';
}

export interface AuthSettings {
  apiKeys: readonly string[];
  apiKeysFile?: string | undefined;
  openRegistry: boolean;
}

/** Compiles the configured keys (inline and file). @throws ExposureError for bad entries or an unreadable file. */
export function loadApiKeys(s: AuthSettings): ApiKeys {
  let fromFile: string[] = [];
  if (s.apiKeysFile) {
    try {
      fromFile = parseKeyFile(readFileSync(s.apiKeysFile, 'utf8'));
    } catch (err) {
      throw new ExposureError(`Cannot read API_KEYS_FILE ${s.apiKeysFile}: ${(err as Error).message}`);
    }
  }
  try {
    return new ApiKeys([...s.apiKeys, ...fromFile]);
  } catch (err) {
    if (err instanceof ApiKeyConfigError) throw new ExposureError(err.message);
    throw err;
  }
}

/** What tells whether the gateway can be reached from elsewhere than this machine. */
export interface Exposure {
  bindHost: string;
  keyCount: number;
  /** OAUTH_ISSUER is set: callers need an access token (or a key). */
  oauth?: boolean;
  openRegistry: boolean;
  /** TRUST_PROXY: a proxy in front forwards other machines' requests. */
  trustProxy?: boolean;
  /** ALLOWED_HOSTS: names served besides loopback ones. */
  allowedHosts?: readonly string[];
  /** PUBLIC_URL: the address clients use. */
  publicUrl?: string | undefined;
}

/** Why the gateway is reachable from other machines, or undefined when only this one reaches it. */
function reachableBy(e: Exposure): string | undefined {
  if (!isLoopbackHost(e.bindHost)) return `listen on ${e.bindHost}`;
  if (e.trustProxy) return 'trust a proxy in front (TRUST_PROXY)';
  const host = e.allowedHosts?.find((h) => !isLoopbackHost(h));
  if (host) return `serve the host name ${host} (ALLOWED_HOSTS)`;
  const publicHost = e.publicUrl ? new URL(e.publicUrl).hostname : undefined;
  if (publicHost && !isLoopbackHost(publicHost)) return `be reached at ${e.publicUrl} (PUBLIC_URL)`;
  return undefined;
}

/**
 * Checks how the gateway can be reached against the access settings. A loopback bind behind a reverse
 * proxy is as public as the proxy: every request then comes from 127.0.0.1, which without keys is the
 * trusted local caller, so that needs keys too.
 * @returns a warning to log loudly (open registry), or undefined.
 * @throws ExposureError when other machines can reach it without keys and without an explicit open registry.
 */
export function checkExposure(e: Exposure): string | undefined {
  if (e.openRegistry)
    return 'OPEN REGISTRY: anyone who reaches this gateway can install and run packages without an API key. Use this only for a deliberately public registry, with the sandbox on and a package policy.';
  const reach = e.keyCount === 0 && !e.oauth ? reachableBy(e) : undefined;
  if (reach)
    throw new ExposureError(
      `Refusing to ${reach} without API keys or OAuth: anyone who reaches it could run code here. Configure API_KEYS (mcp-registry-server api-key <id> <role>) or OAUTH_ISSUER, serve 127.0.0.1 only, or set OPEN_REGISTRY=true for a deliberately public registry.`,
    );
  return undefined;
}
