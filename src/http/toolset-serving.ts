/**
 * @module What the toolset endpoints need, on the Hono path and on the hot path alike: a toolset looked
 * up for a caller (one not open to it looks unknown), its parameters opened, the query its endpoint
 * takes, and what serves its MCP requests (front/toolset-served.ts) for that caller.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { Served } from '../front/served.js';
import { toolsetServed } from '../front/toolset-served.js';
import type { TraceCarrier } from '../observability/tracing.js';
import type { Principal } from '../policy/principal.js';
import { toolsetOpensTo } from '../policy/toolset-definition.js';
import { SecretBoxError } from '../store/secret-box.js';
import type { ToolsetView } from '../store/toolset-store.js';
import type { AppDeps } from './app-deps.js';

export const toolsetNotFound = (name: string) =>
  new GatewayError('TOOLSET_NOT_FOUND', `No toolset '${name.slice(0, 64)}'.`);

/**
 * The view of a toolset the caller may see (admins: every one). @throws GatewayError TOOLSET_NOT_FOUND
 * also for one not open to the caller (what it serves, and that it exists, stay the business of those
 * it is for)
 */
export function visibleToolset(deps: AppDeps, name: string, principal: Principal): ToolsetView {
  const view = deps.toolsets.view(name);
  if (!view || !toolsetOpensTo(view.principals, principal)) throw toolsetNotFound(name);
  return view;
}

/** A toolset with its parameters. @throws GatewayError TOOLSET_NOT_FOUND, TOOLSET_UNREADABLE */
export function loadToolset(deps: AppDeps, name: string) {
  try {
    const toolset = deps.toolsets.get(name);
    if (!toolset) throw toolsetNotFound(name);
    return toolset;
  } catch (err) {
    if (!(err instanceof SecretBoxError)) throw err;
    throw new GatewayError(
      'TOOLSET_UNREADABLE',
      `The parameters of toolset '${name.slice(0, 64)}' cannot be opened with this gateway's secrets key.`,
      {},
      { cause: err },
    );
  }
}

/** The query parameters a toolset endpoint takes; its servers' parameters are the toolset's own. */
const QUERY = new Set(['mode', 'sessionId']);

/** @throws GatewayError INVALID_PARAMETER for a query parameter a toolset endpoint does not take */
export function checkToolsetQuery(pairs: ReadonlyArray<[string, string]>): void {
  const extra = pairs.find(([k]) => !QUERY.has(k));
  if (extra)
    throw new GatewayError(
      'INVALID_PARAMETER',
      `Invalid parameter: '${extra[0].slice(0, 40)}' — a toolset's servers take their parameters from the toolset.`,
      { parameter: extra[0].slice(0, 40), validValues: [...QUERY] },
    );
}

/**
 * What serves `caller`'s MCP requests on toolset `name`'s endpoint; the toolset is read only when a
 * session or a stateless request needs it (a message in a session costs no read).
 */
export function toolsetServedFor(
  deps: AppDeps,
  name: string,
  caller: { principal: Principal; address: string },
  /** The request's trace context, read when a server is prepared (a session's message needs none). */
  trace: () => TraceCarrier | undefined,
): Served {
  const build = () => {
    visibleToolset(deps, name, caller.principal);
    return toolsetServed(
      loadToolset(deps, name),
      caller.principal,
      (server) => (run) =>
        deps.launcher.prepare(
          { spec: server.package, protocol: 'mcp' },
          { query: Object.entries(server.params), headers: [], trace: trace(), caller },
          run,
        ),
      {
        relays: deps.relays,
        guards: deps.guards,
        toolSearch: deps.config.toolsets.toolSearch,
        version: deps.config.server.version,
        logger: deps.logger,
      },
    );
  };
  return { session: (open) => build().session(open), stateless: () => build().stateless() };
}
