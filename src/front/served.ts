/**
 * @module What serves a caller's MCP traffic on an endpoint: one package's configuration
 * (`/package/{spec}/mcp`), or a toolset (`/toolsets/{name}/mcp`, toolset-served.ts). Both give new
 * sessions a target and stateless (2026-07-28) requests a host, so the era dispatch (mcp-endpoint.ts)
 * is one for both.
 */
import type { Principal } from '../policy/principal.js';
import type { PortGuard, PortHost } from '../relay/relay-port.js';
import type { Relays } from '../relay/relays.js';
import type { LaunchRequest } from '../runtime/process-manager.js';
import { type ProcessMeta, packageOf } from '../runtime/process-meta.js';
import type { PermissionGuards } from './permission-guard.js';
import { packageTarget, type SessionTarget } from './session-target.js';

export interface Served {
  /** Runs `open` with the target of a new session (the request's secrets are masked in logs meanwhile). */
  session<T>(open: (target: SessionTarget) => Promise<T>): Promise<T>;
  /** The host a stateless request goes to, and the guard of its port. */
  stateless(): Promise<{ host: PortHost; guard?: PortGuard | undefined }>;
}

/**
 * How a request's configuration becomes a launch request (launch/: resolve, policy, store); `run` gets
 * it while the request's secrets are masked in what is logged.
 */
export type Preparer = <T>(run: (req: LaunchRequest<ProcessMeta>) => Promise<T>) => Promise<T>;

/**
 * One package's configuration for `principal`. `configKey`: the principal and configuration (package
 * URL, configuration headers) as one key, under which a stateless request finds the shared relay an
 * earlier one prepared.
 */
export function packageServed(
  principal: Principal,
  prepare: Preparer,
  configKey: () => string,
  d: { relays: Relays; guards: PermissionGuards },
): Served {
  return {
    session: (open) =>
      prepare((req) => open(packageTarget(req, d.relays, d.guards.for(principal, packageOf(req.meta))))),
    async stateless() {
      const host = await d.relays.sharedFor(configKey(), () => prepare(async (req) => req));
      // The relay is cached while its child runs: the package is checked against the permissions each time.
      return { host, guard: d.guards.for(principal, host.package) };
    },
  };
}
