/**
 * @module The cluster's Redis connection (ioredis). Commands fail fast while Redis is away (no offline
 * queue, a command timeout), so a request that needs the shared state gets a clear 503 instead of
 * hanging, while the connection keeps retrying in the background and the instance recovers by itself.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../observability/logger.js';

/** A command that gets no answer within this fails, ms. */
const COMMAND_TIMEOUT_MS = 1000;
/** Reconnection attempts back off up to this, ms. */
const MAX_RETRY_DELAY_MS = 1000;

/** The connection and whether Redis answered lately. */
export class RedisConnection {
  readonly redis: Redis;
  private up = false;
  /** What the connection last reported (a refused password arrives here, not as the command's error). */
  private lastError = '';

  constructor(url: string, logger: Logger) {
    this.redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 100, MAX_RETRY_DELAY_MS),
    });
    this.redis.on('ready', () => {
      if (!this.up) logger.info('cluster state (Redis) reachable');
      this.up = true;
    });
    this.redis.on('error', (err) => {
      if (this.up) logger.error({ err: err.message }, 'cluster state (Redis) unreachable');
      this.up = false;
      this.lastError = err.message;
    });
    this.redis.on('close', () => {
      if (this.up) logger.warn('cluster state (Redis) connection closed; reconnecting');
      this.up = false;
    });
  }

  /**
   * A Lua script run by its digest (ioredis's defineCommand: EVALSHA, falling back to EVAL when Redis has
   * not seen it, e.g. after a restart), so a call sends the arguments, not the script.
   */
  script(lua: string, numberOfKeys: number): (...args: string[]) => Promise<unknown> {
    const name = `mcpgw${createHash('sha1').update(lua).digest('hex').slice(0, 12)}`;
    const commands = this.redis as unknown as Record<string, (...args: string[]) => Promise<unknown>>;
    if (!(name in commands)) this.redis.defineCommand(name, { numberOfKeys, lua });
    return (...args) => (commands[name] as (...a: string[]) => Promise<unknown>).call(this.redis, ...args);
  }

  /** Whether the last thing Redis did was answer (for /health). */
  get available(): boolean {
    return this.up && this.redis.status === 'ready';
  }

  /**
   * Connects, retrying until `timeoutMs` (start-up: an instance without its shared state cannot join).
   * @throws Error naming REDIS_URL when Redis stays unreachable.
   */
  async connect(timeoutMs: number, logger?: Logger): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        if (this.redis.status === 'wait') await this.redis.connect();
        await this.redis.ping();
        this.up = true;
        return;
      } catch (err) {
        const message = `${(err as Error).message} ${this.lastError}`.trim();
        // A refused password will not change by waiting.
        if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(message))
          throw new Error(`REDIS_URL: Redis refused the credentials (${message}).`, { cause: err });
        if (Date.now() > deadline)
          throw new Error(`REDIS_URL: Redis is not reachable (${message}).`, { cause: err });
        if (attempt === 0)
          logger?.warn({ err: message }, `waiting up to ${timeoutMs / 1000} s for Redis (REDIS_URL)`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  async close(): Promise<void> {
    this.up = false;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** The 503 for a request that needs the shared state while Redis is away. */
export function clusterUnavailable(need: string, cause: unknown, local?: string): GatewayError {
  return new GatewayError(
    'CLUSTER_UNAVAILABLE',
    `The cluster's shared state is unreachable, which ${need} needs.`,
    { need, ...(local ? { local } : {}) },
    { cause },
  );
}
