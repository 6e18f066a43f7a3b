/**
 * @module The hubs stateless (2026-07-28) toolset requests are served by, kept per principal and
 * toolset version, so a request builds nothing: a kept hub serves while each of its servers' relays is
 * the one serving that child and the principal's permission guard of each is the same object (the
 * guards follow rule changes themselves; a package the rules no longer grant makes a new hub, which
 * leaves it out). Hubs with a server left out are not kept (the next request tries it again). One
 * store per gateway (per Relays); the oldest hub is forgotten past MAX_KEPT.
 */
import type { Relay } from '../relay/relay.js';
import type { PortGuard } from '../relay/relay-port.js';
import type { Relays } from '../relay/relays.js';
import type { ToolsetHub } from './toolset-hub.js';

const MAX_KEPT = 1000;

export interface KeptHub {
  hub: ToolsetHub;
  relays: Relay[];
  /** The permission guard of each relay's port when the hub was made. */
  guards: Array<PortGuard | undefined>;
}

const stores = new WeakMap<Relays, Map<string, KeptHub>>();

function storeOf(relays: Relays): Map<string, KeptHub> {
  let store = stores.get(relays);
  if (!store) {
    store = new Map();
    stores.set(relays, store);
  }
  return store;
}

/** The hub kept under `key`, if it still serves as it was made; `guardOf` asks the current guard. */
export function keptHub(
  relays: Relays,
  key: string,
  guardOf: (relay: Relay) => PortGuard | undefined,
): ToolsetHub | undefined {
  const store = storeOf(relays);
  const kept = store.get(key);
  if (!kept) return undefined;
  try {
    const same = kept.relays.every(
      (r, i) => relays.get(r.child.id) === r && r.child.status === 'running' && guardOf(r) === kept.guards[i],
    );
    if (same) return kept.hub;
  } catch {
    // a guard refused the package now: a new hub is made
  }
  store.delete(key);
  return undefined;
}

export function keepHub(relays: Relays, key: string, kept: KeptHub): void {
  const store = storeOf(relays);
  store.delete(key);
  store.set(key, kept);
  if (store.size > MAX_KEPT) store.delete(store.keys().next().value as string);
}
