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

/**
 * Checks the bind address against the access settings.
 * @returns a warning to log loudly (open registry), or undefined.
 * @throws ExposureError when a non-loopback bind has no keys and no explicit open registry.
 */
export function checkExposure(bindHost: string, keyCount: number, openRegistry: boolean): string | undefined {
  if (openRegistry)
    return 'OPEN REGISTRY: anyone who reaches this gateway can install and run packages without an API key. Use this only for a deliberately public registry, with the sandbox on and a package policy.';
  if (keyCount === 0 && !isLoopbackHost(bindHost))
    throw new ExposureError(
      `Refusing to listen on ${bindHost} without API keys: anyone who reaches it could run code here. Configure API_KEYS (npm run api-key -- <id> <role>), bind 127.0.0.1, or set OPEN_REGISTRY=true for a deliberately public registry.`,
    );
  return undefined;
}
