/**
 * @module Protocol revisions the gateway speaks, and what the gateway tells a child in its initialize
 * (spec basic/lifecycle "Initialization"). The revision lists come from the SDK where it has them.
 */
import { createHash } from 'node:crypto';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';

/** `_meta` key carrying a 2026-07-28 request's protocol version. */
export const PROTOCOL_VERSION_META_KEY = 'io.modelcontextprotocol/protocolVersion';
/** Modern revisions this gateway serves statelessly. */
export const MODERN_VERSIONS = ['2026-07-28'];
/** Legacy revisions it serves with initialize-based sessions (newest first). */
export const LEGACY_VERSIONS = SUPPORTED_PROTOCOL_VERSIONS.filter((v) => v >= '2024-11-05');
export const SUPPORTED_VERSIONS = [...MODERN_VERSIONS, ...LEGACY_VERSIONS];
/** The revision the gateway asks a child for when the client named none it knows. */
export const CHILD_DEFAULT_VERSION = LATEST_PROTOCOL_VERSION;

/**
 * What a child is initialized with on behalf of its clients: the revision and the client capabilities.
 * Children are shared only among clients with the same profile, so a server that offers a tool only to
 * clients that can sample (server-everything) offers it to exactly those.
 */
export interface ClientProfile {
  protocolVersion: string;
  capabilities: Record<string, unknown>;
}

/** What a child is initialized with when no client said more (a stdio launch, 2026-07-28 requests). */
export const DEFAULT_PROFILE: ClientProfile = Object.freeze({
  protocolVersion: CHILD_DEFAULT_VERSION,
  capabilities: Object.freeze({}),
}) as ClientProfile;

/** The profile for a client's initialize params: a known revision (else the default), its capabilities. */
export function profileOf(params: unknown): ClientProfile {
  const p = (params ?? {}) as { protocolVersion?: unknown; capabilities?: unknown };
  const requested = typeof p.protocolVersion === 'string' ? p.protocolVersion : '';
  const caps = p.capabilities;
  return {
    protocolVersion: LEGACY_VERSIONS.includes(requested) ? requested : CHILD_DEFAULT_VERSION,
    capabilities:
      caps && typeof caps === 'object' && !Array.isArray(caps) ? (caps as Record<string, unknown>) : {},
  };
}

/** Digests already made, per profile object (the default profile's is asked for on every stateless request). */
const digests = new WeakMap<ClientProfile, string>();

/** A short stable digest of a profile (sorted keys), for configuration keys. */
export function profileKey(profile: ClientProfile): string {
  let key = digests.get(profile);
  if (key === undefined) {
    key = digestOf(profile);
    digests.set(profile, key);
  }
  return key;
}

function digestOf(profile: ClientProfile): string {
  const stable = (v: unknown): string =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : (JSON.stringify(v) ?? 'null');
  const digest = createHash('sha256').update(stable(profile.capabilities)).digest('base64url');
  return `${profile.protocolVersion}:${digest.slice(0, 16)}`;
}
