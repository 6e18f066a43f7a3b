/**
 * @module Cluster mode (REDIS_URL): what makes several instances one gateway. Each instance has an id
 * (the prefix of its session ids: the owner of a session is read off the id, with no lookup on the hot
 * path), an address of its own for forwarded requests (workers behind PM2 share the public port, so each
 * also listens on CLUSTER_ADDRESS, loopback port 0 by default), and an entry in the Redis directory kept
 * alive by a heartbeat. Without REDIS_URL the same interfaces are served from memory and nothing listens
 * beyond the public port.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import { toErrorResponse } from '../errors/error-response.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../observability/logger.js';
import { MemoryRateLimitStore, type RateLimitStore } from '../policy/rate-limit-store.js';
import type { InstanceDirectory, InstanceInfo, InstanceStats, SessionCounter } from './cluster-types.js';
import { type ForwardClaims, verifyForward } from './forward-signature.js';
import { LeasedRateLimitStore } from './leased-rate-limit-store.js';
import { MemoryDirectory, MemorySessionCounter } from './memory-state.js';
import { RedisConnection } from './redis-connection.js';
import { RedisDirectory } from './redis-directory.js';
import { RedisRateLimitStore } from './redis-rate-limit-store.js';
import { RedisSessionCounter } from './redis-session-counter.js';

export interface ClusterSettings {
  redisUrl?: string | undefined;
  address: string;
  secret?: string | undefined;
  heartbeatMs: number;
  keyPrefix: string;
}

/** What a request handler passes for a forwarded request (Hono's env): the verified claims. */
export interface ForwardedEnv {
  forward?: ForwardClaims;
}

type Fetch = (req: Request, env: Record<string, unknown>) => Response | Promise<Response>;

/** How long a new instance waits for Redis before giving up, ms. */
const CONNECT_TIMEOUT_MS = 30_000;

function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

export class Cluster {
  /** Counters published with each heartbeat; `inFlight`: HTTP requests being answered now. */
  readonly counters = { requests: 0, forwardedOut: 0, forwardedIn: 0, inFlight: 0 };
  draining = false;
  private listener: ServerType | undefined;
  private beat: NodeJS.Timeout | undefined;

  private constructor(
    readonly enabled: boolean,
    readonly directory: InstanceDirectory,
    readonly sessionCounter: SessionCounter,
    readonly rateStore: RateLimitStore,
    readonly secret: string,
    private readonly settings: ClusterSettings,
    private readonly logger: Logger,
    private readonly conn?: RedisConnection,
  ) {}

  /**
   * The cluster of this configuration: in memory without REDIS_URL, else joined through Redis (waits up
   * to 30 s for it). `localSessions` counts each principal's sessions on this instance (for resyncs).
   */
  static async create(
    s: ClusterSettings,
    logger: Logger,
    localSessions: () => Map<string, number>,
  ): Promise<Cluster> {
    const self: InstanceInfo = {
      id: randomBytes(5).toString('hex'),
      address: '',
      host: hostname(),
      pid: process.pid,
      startedAt: Date.now(),
    };
    if (!s.redisUrl) {
      const memory = new MemoryRateLimitStore();
      return new Cluster(false, new MemoryDirectory(self), new MemorySessionCounter(), memory, '', s, logger);
    }
    const conn = new RedisConnection(s.redisUrl, logger);
    await conn.connect(CONNECT_TIMEOUT_MS, logger);
    let secret = s.secret;
    if (!secret) {
      // One secret for the cluster, made by whichever instance comes first.
      await conn.redis.set(`${s.keyPrefix}secret`, randomBytes(32).toString('base64url'), 'NX');
      secret = (await conn.redis.get(`${s.keyPrefix}secret`)) ?? '';
    }
    const counter = new RedisSessionCounter(conn, s.keyPrefix, self.id, localSessions);
    return new Cluster(
      true,
      new RedisDirectory(self, conn, s.keyPrefix, s.heartbeatMs),
      counter,
      new LeasedRateLimitStore(new RedisRateLimitStore(conn, s.keyPrefix, logger)),
      secret,
      s,
      logger,
      conn,
    );
  }

  get self(): InstanceInfo {
    return this.directory.self;
  }

  /** Whether the shared state answers (always true for one instance). */
  get available(): boolean {
    return this.conn?.available ?? true;
  }

  /** A new session id: random, and in a cluster prefixed with this instance's id (`<id>.<uuid>`). */
  newSessionId(): string {
    return this.enabled ? `${this.self.id}.${randomUUID()}` : randomUUID();
  }

  /** The instance that holds a session, read off its id (undefined: not a cluster id). */
  ownerOf(sessionId: string): string | undefined {
    const dot = sessionId.indexOf('.');
    return this.enabled && dot === 10 ? sessionId.slice(0, dot) : undefined;
  }

  /**
   * Listens on the cluster address for signed requests (served by `fetch` with the claims as
   * `env.forward`, on a server made by `createServer`: the hot path's, which serves some itself), joins
   * the directory and starts the heartbeat. Nothing to do for one instance.
   */
  async start(
    fetch: Fetch,
    stats: () => Pick<InstanceStats, 'processes' | 'sessions'>,
    createServer?: typeof createHttpServer,
  ): Promise<void> {
    if (!this.enabled || !(this.directory instanceof RedisDirectory)) return;
    const directory = this.directory;
    const { host, port } = splitAddress(this.settings.address);
    const server = createAdaptorServer({
      ...(createServer ? { createServer } : {}),
      // Idle connections from the others' pools stay open a long time (fewer reuse races, see forwarder).
      serverOptions: { keepAliveTimeout: 55_000 },
      fetch: (req: Request, env: Record<string, unknown>) => {
        const url = new URL(req.url);
        const claims = verifyForward(this.secret, req.method, url.pathname + url.search, req.headers);
        if (!claims) {
          const { status, body } = toErrorResponse(
            new GatewayError(
              'FORBIDDEN',
              'The cluster address serves signed requests of other instances only.',
            ),
          );
          return Response.json(body, { status });
        }
        // Session traffic, not the views' own gathering.
        if (url.pathname.startsWith('/package/')) this.counters.forwardedIn++;
        return fetch(req, { ...env, forward: claims });
      },
    });
    this.listener = server;
    // exclusive: a PM2 (node:cluster) worker gets a port of its own, not one shared through the primary.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => resolve());
    });
    const bound = server.address() as AddressInfo;
    this.self.address = `${host.includes(':') ? `[${host}]` : host}:${bound.port}`;
    let joined = false;
    const publish = async () => {
      const present = await directory.beat({ ...stats(), ...this.counters, draining: this.draining });
      const lost = joined && !present; // Redis restarted empty, or this entry expired while it was away
      if (lost) {
        this.logger.warn('cluster state was lost or expired: re-publishing this instance and its sessions');
        await this.conn?.redis.set(`${this.settings.keyPrefix}secret`, this.secret, 'NX');
      }
      await (this.sessionCounter as RedisSessionCounter).resync(lost);
      await directory.list(); // keeps every live instance's address at hand for a Redis outage
      joined = true;
    };
    await publish();
    this.beat = setInterval(
      () => void publish().catch(() => undefined), // the connection logs outages once
      this.settings.heartbeatMs,
    ).unref();
    this.logger.info({ instance: this.self.id, address: this.self.address }, 'joined the cluster');
  }

  /** Leaves the directory (its sessions are gone for every instance at once) and closes everything. */
  async stop(): Promise<void> {
    clearInterval(this.beat);
    if (this.directory instanceof RedisDirectory) await this.directory.leave().catch(() => undefined); // an entry left behind expires by itself
    if (this.listener) {
      const listener = this.listener;
      await new Promise<void>((resolve) => {
        listener.close(() => resolve());
        (listener as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    }
    await this.conn?.close();
  }
}
