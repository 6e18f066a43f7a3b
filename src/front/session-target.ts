/**
 * @module What a new session is served by, as McpSessions binds it: one package's child (the one the
 * principal's sessions of that configuration share, or a child of its own), or a toolset's hub over
 * several children (toolset-target.ts). The binding happens when the client's profile is known: at a
 * Streamable HTTP initialize, or at the first message of a legacy SSE session.
 */
import type { ClientProfile } from '../protocol/versions.js';
import type { PortGuard, PortHost } from '../relay/relay-port.js';
import type { Relays } from '../relay/relays.js';
import type { LaunchRequest } from '../runtime/process-manager.js';
import type { ProcessMeta } from '../runtime/process-meta.js';

/** shared (default): the configuration's child of this principal; isolated: a child of its own. */
export type SessionMode = 'isolated' | 'shared';

/** What a session is bound to. */
export interface SessionBinding {
  host: PortHost;
  /** What the session's client may see and do there (tool permissions); undefined: everything. */
  guard?: PortGuard | undefined;
  /** The children serving it (the session ends when one of them is gone). */
  processIds: string[];
}

export interface SessionTarget {
  /** The principal the session belongs to. */
  owner: string;
  /** What it serves, as listings show it: a package name, or `toolset:<name>`. */
  label: string;
  version?: string | undefined;
  /**
   * The binding for a client of `profile` in session `sessionId`; `isolated`: children of its own, which
   * stop with the session. @throws GatewayError when nothing can serve it (nothing is left behind).
   */
  bind(profile: ClientProfile, sessionId: string, mode: SessionMode): Promise<SessionBinding>;
}

/** A session on one package's child, with `guard` (the principal's tool permissions for it). */
export function packageTarget(
  req: LaunchRequest<ProcessMeta>,
  relays: Relays,
  guard: PortGuard | undefined,
): SessionTarget {
  return {
    owner: req.meta.owner,
    label: req.meta.packageName,
    version: req.meta.version,
    async bind(profile, sessionId, mode) {
      const relay =
        mode === 'shared' ? await relays.shared(req, profile) : await relays.own(req, sessionId, profile);
      return { host: relay, guard, processIds: [relay.child.id] };
    },
  };
}
