/**
 * @module What several gateway instances share, as interfaces: the directory of live instances, the
 * cluster-wide session counts, and the facts an instance publishes with each heartbeat. One instance
 * (no REDIS_URL) uses the in-memory implementations; a cluster uses the Redis ones; both pass one shared
 * test suite (test/integration/cluster-state.test.ts).
 */

/** What an instance publishes about itself, renewed every heartbeat. */
export interface InstanceInfo {
  /** Random per start (a restarted worker is a new instance): the prefix of its session ids. */
  id: string;
  /** `host:port` where the others forward requests to it. */
  address: string;
  /** The machine it runs on (os.hostname()): MAX_PROCESSES is per host. */
  host: string;
  pid: number;
  startedAt: number;
  /** Counters at the last heartbeat (for /health and the dashboard). */
  stats?: InstanceStats;
}

export interface InstanceStats {
  processes: number;
  sessions: number;
  /** HTTP requests this instance answered as the front (including the ones it forwarded). */
  requests: number;
  /** Requests it forwarded to the owner of their session. */
  forwardedOut: number;
  /** Requests other instances forwarded to it. */
  forwardedIn: number;
  /** HTTP requests being answered at the heartbeat. */
  inFlight: number;
  /** Draining (a graceful stop): it takes no new sessions. */
  draining: boolean;
}

/** The live instances of the cluster. */
export interface InstanceDirectory {
  readonly self: InstanceInfo;
  /**
   * The live instance with this id, or undefined when it is gone (its entry expired: it missed three
   * heartbeats, or stopped). A recently seen entry is used when the shared state cannot be reached.
   * @throws GatewayError CLUSTER_UNAVAILABLE when it is not known here and the shared state is unreachable.
   */
  lookup(id: string): Promise<InstanceInfo | undefined>;
  /** Every live instance, this one included. @throws GatewayError CLUSTER_UNAVAILABLE */
  list(): Promise<InstanceInfo[]>;
  /** Drops what is known about an instance that failed to answer (it died: its entry expires soon). */
  forget(id: string): void;
}

/** How many sessions each principal holds across the cluster (MAX_SESSIONS_PER_KEY is cluster-wide). */
export interface SessionCounter {
  /**
   * Counts one more session of `owner` when it holds fewer than `max`; `held` is its count after (or at)
   * the limit. Atomic across instances. @throws GatewayError CLUSTER_UNAVAILABLE
   */
  acquire(owner: string, max: number): Promise<{ ok: boolean; held: number }>;
  /** Counts one session of `owner` less (never throws: a count that could not be written is resynced). */
  release(owner: string): void;
}
