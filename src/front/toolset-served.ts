/**
 * @module A toolset as what serves an endpoint (`/toolsets/{name}/mcp` and `/sse`): each server of the
 * toolset is prepared like a package request of the caller (its stored parameters as the query: policy,
 * permissions, resolution, install), all at once, and its child is the caller's shared child of that
 * configuration (or, `isolated`, one of the session's own); a hub joins them. A server that cannot be
 * prepared or started is left out of that session, and the merged instructions say why; only when none
 * can is the request refused (with the first server's error). Each server's port guard is the caller's
 * tool permissions for that package plus the toolset's tool filter.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../observability/logger.js';
import type { Principal } from '../policy/principal.js';
import type { Toolset, ToolsetServer } from '../policy/toolset-definition.js';
import type { ClientProfile } from '../protocol/versions.js';
import type { Relay } from '../relay/relay.js';
import type { PortGuard } from '../relay/relay-port.js';
import type { Relays } from '../relay/relays.js';
import type { LaunchRequest } from '../runtime/process-manager.js';
import type { ProcessMeta } from '../runtime/process-meta.js';
import type { PermissionGuards } from './permission-guard.js';
import type { Preparer, Served } from './served.js';
import type { SessionMode } from './session-target.js';
import { bothGuards, toolFilter } from './toolset-filter.js';
import { type HubMember, ToolsetHub } from './toolset-hub.js';
import { keepHub, keptHub } from './toolset-hub-cache.js';
import { mergedIdentity } from './toolset-names.js';

export interface ToolsetServing {
  relays: Relays;
  guards: PermissionGuards;
  /** TOOLSET_TOOL_SEARCH: list `find_tools` instead of every tool. */
  toolSearch: boolean;
  /** The gateway's version (the toolset's serverInfo). */
  version: string;
  logger: Logger;
}

type Outcome = { ok: true; relay: Relay } | { ok: false; error: unknown };

/**
 * Runs every preparer and then `run` with all their launch requests (or errors) while each one's
 * secrets are still masked; a preparer that fails does not hold up the others.
 */
export async function prepareEach<T>(
  preparers: Preparer[],
  run: (reqs: Array<LaunchRequest<ProcessMeta> | { error: unknown }>) => Promise<T>,
): Promise<T> {
  const reqs: Array<LaunchRequest<ProcessMeta> | { error: unknown }> = new Array(preparers.length);
  let arrived = 0;
  let allArrived: () => void = () => undefined;
  const all = new Promise<void>((resolve) => {
    allArrived = resolve;
  });
  let release: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  const arrive = () => {
    if (++arrived === preparers.length) allArrived();
  };
  const running = preparers.map((prepare, i) =>
    prepare(async (req) => {
      reqs[i] = req;
      arrive();
      await done; // the secrets stay masked until `run` is over
    }).catch((error: unknown) => {
      if (reqs[i] === undefined) {
        reqs[i] = { error };
        arrive();
      }
    }),
  );
  if (preparers.length === 0) allArrived();
  await all;
  try {
    return await run(reqs);
  } finally {
    release();
    await Promise.all(running);
  }
}

const reasonOf = (error: unknown): string =>
  error instanceof GatewayError
    ? `${error.code}: ${error.message}`
    : String((error as Error)?.message ?? error);

/** The toolset `toolset` for `principal`; `prepare(server)` prepares one server as a package request. */
export function toolsetServed(
  toolset: Toolset & { updatedAt: string },
  principal: Principal,
  prepare: (server: ToolsetServer) => Preparer,
  d: ToolsetServing,
): Served {
  const servers = toolset.servers;

  /** The hub over the relays that started; refused when none did. */
  const hubOf = (outcomes: Outcome[]) => {
    const members: HubMember[] = [];
    const unavailable: Array<{ alias: string; reason: string }> = [];
    let firstError: unknown;
    const permissions: Array<PortGuard | undefined> = [];
    outcomes.forEach((o, i) => {
      const server = servers[i] as ToolsetServer;
      if (o.ok) {
        const permission = d.guards.for(principal, o.relay.package);
        permissions.push(permission);
        members.push({
          alias: server.alias,
          host: o.relay,
          guard: bothGuards(permission, toolFilter(server)),
        });
        return;
      }
      firstError ??= o.error;
      unavailable.push({ alias: server.alias, reason: reasonOf(o.error) });
      d.logger.warn(
        { toolset: toolset.name, alias: server.alias, err: reasonOf(o.error) },
        'toolset server unavailable',
      );
    });
    if (members.length === 0) throw firstError;
    const identity = mergedIdentity(
      { name: toolset.name, description: toolset.description, version: d.version },
      members.map((m) => ({ alias: m.alias, identity: m.host.identity })),
      { toolSearch: d.toolSearch, unavailable },
    );
    const hub = new ToolsetHub(members, identity, {
      toolSearch: d.toolSearch,
      onListError: (alias, error) =>
        d.logger.warn({ toolset: toolset.name, alias, err: error.message }, 'toolset server failed a list'),
    });
    const relays = outcomes.flatMap((o) => (o.ok ? [o.relay] : []));
    const complete = unavailable.length === 0;
    return { hub, relays, permissions, complete, processIds: relays.map((r) => r.child.id) };
  };

  const settle = (p: Promise<Relay>): Promise<Outcome> =>
    p.then(
      (relay) => ({ ok: true as const, relay }),
      (error: unknown) => ({ ok: false as const, error }),
    );

  const start = (profile: ClientProfile, sessionId: string, mode: SessionMode) =>
    prepareEach(servers.map(prepare), (reqs) =>
      Promise.all(
        reqs.map((req) => {
          if ('error' in req) return { ok: false as const, error: req.error };
          return settle(
            mode === 'shared' ? d.relays.shared(req, profile) : d.relays.own(req, sessionId, profile),
          );
        }),
      ),
    );

  return {
    session: (open) =>
      open({
        owner: principal.id,
        label: `toolset:${toolset.name}`,
        async bind(profile, sessionId, mode) {
          const { hub, processIds } = hubOf(await start(profile, sessionId, mode));
          return { host: hub, processIds };
        },
      }),
    async stateless() {
      const scope = `${principal.id}\n${principal.role}\n${principal.scopes?.join(' ') ?? ''}\ntoolset:${toolset.name}@${toolset.updatedAt}`;
      const kept = keptHub(d.relays, scope, (relay) => d.guards.for(principal, relay.package));
      if (kept) return { host: kept };
      const outcomes = await Promise.all(
        servers.map((server) =>
          settle(d.relays.sharedFor(`${scope}\n${server.alias}`, () => prepare(server)(async (req) => req))),
        ),
      );
      const made = hubOf(outcomes);
      if (made.complete)
        keepHub(d.relays, scope, { hub: made.hub, relays: made.relays, guards: made.permissions });
      return { host: made.hub };
    },
  };
}
