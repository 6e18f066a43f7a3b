/** @module What the relay answers a client's initialize with: the child's identity (pure). */
import { LEGACY_VERSIONS } from '../protocol/versions.js';
import type { ServerIdentity } from '../runtime/managed-process.js';

/**
 * The child's identity, at the revision it agreed with the gateway for this client's profile (the child
 * was initialized with it), so a session costs no initialize of its own.
 */
export function initializeResultOf(id: ServerIdentity, params: unknown): Record<string, unknown> {
  const requested = (params as { protocolVersion?: string } | undefined)?.protocolVersion;
  const fallback = requested && LEGACY_VERSIONS.includes(requested) ? requested : LEGACY_VERSIONS[0];
  return {
    protocolVersion: id.protocolVersion ?? fallback,
    capabilities: id.capabilities ?? {},
    serverInfo: id.serverInfo ?? { name: 'unknown', version: '0' },
    ...(id.instructions ? { instructions: id.instructions } : {}),
  };
}
