/**
 * @module What a shared child keeps once for all its clients, tracked per port by the relay: resource
 * subscriptions (the child subscribes once per URI and unsubscribes when the last port does) and the log
 * level (the child logs at the most verbose level any port asked for; each port filters for itself).
 */
import { LOG_LEVELS, type Port } from './relay-port.js';

export class Subscriptions {
  private readonly byUri = new Map<string, Set<Port>>();

  /** Adds a subscriber; true when the child must hear the subscription (the first for this URI). */
  add(port: Port, uri: string): boolean {
    let set = this.byUri.get(uri);
    if (!set) {
      set = new Set();
      this.byUri.set(uri, set);
    }
    set.add(port);
    port.subscriptions.add(uri);
    return set.size === 1;
  }

  /** Removes a subscriber; true when the child must hear it (the last one left, or none was known). */
  remove(port: Port, uri: string): boolean {
    const set = this.byUri.get(uri);
    port.subscriptions.delete(uri);
    if (!set?.delete(port)) return true;
    if (set.size > 0) return false;
    this.byUri.delete(uri);
    return true;
  }

  /** The ports subscribed to `uri`, if any. */
  of(uri: string): Set<Port> | undefined {
    return this.byUri.get(uri);
  }

  /** Every URI some port is subscribed to. */
  uris(): IterableIterator<string> {
    return this.byUri.keys();
  }
}

/** The most verbose log level any of `ports` asked for (index in LOG_LEVELS), if any did. */
export function mostVerboseLevel(ports: Iterable<Port>): number | undefined {
  let most: number | undefined;
  for (const p of ports) if (p.logLevel !== undefined) most = Math.min(most ?? p.logLevel, p.logLevel);
  return most;
}

/**
 * A client's `logging/setLevel`: the port's level is recorded, and the child is asked for the most
 * verbose level any port wants (each port then gets what it asked for).
 */
export function withLogLevel<R extends { params?: Record<string, unknown> }>(
  ports: Iterable<Port>,
  port: Port,
  m: R,
): R {
  const at = LOG_LEVELS.indexOf(String(m.params?.level));
  if (at === -1) return m; // the child answers the invalid level itself
  port.logLevel = at;
  return { ...m, params: { ...m.params, level: LOG_LEVELS[mostVerboseLevel(ports) ?? at] } };
}

export { LOG_LEVELS };
