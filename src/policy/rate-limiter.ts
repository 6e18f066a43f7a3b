/**
 * @module Rate limits that meter abuse, not work. What costs the host has budgets per caller (API key or
 * anonymous address) and per client address: requests that open sessions, launch or reach a package,
 * and operator endpoints; installs (disk and network) have their own, lower budget. Messages inside a
 * session a caller already holds go to that caller's own processes and have a separate, large budget
 * per caller, and so do new sessions (they cost no process), so a busy client (a thousand sessions,
 * thousands of calls a minute) is never throttled.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { BucketRule, RateDecision, RateLimitStore } from './rate-limit-store.js';

export interface RateLimitSettings {
  /** Requests per minute per caller; 0: off. */
  perKeyPerMinute: number;
  /** Requests per minute per client address; 0: off. */
  perAddressPerMinute: number;
  /** Installs per hour per caller and per address; 0: off. */
  installsPerHour: number;
  /** Messages per minute per caller inside sessions it holds; 0: off. */
  messagesPerKeyPerMinute: number;
  /** New MCP sessions per minute per caller; 0: off. */
  sessionsPerKeyPerMinute: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export class RateLimiter {
  private readonly rules: {
    key?: BucketRule;
    address?: BucketRule;
    install?: BucketRule;
    message?: BucketRule;
    session?: BucketRule;
  };

  constructor(
    s: RateLimitSettings,
    private readonly store: RateLimitStore,
  ) {
    this.rules = {
      ...(s.perKeyPerMinute > 0
        ? { key: { name: 'key', capacity: s.perKeyPerMinute, periodMs: MINUTE } }
        : {}),
      ...(s.perAddressPerMinute > 0
        ? { address: { name: 'address', capacity: s.perAddressPerMinute, periodMs: MINUTE } }
        : {}),
      ...(s.installsPerHour > 0
        ? { install: { name: 'install', capacity: s.installsPerHour, periodMs: HOUR } }
        : {}),
      ...(s.messagesPerKeyPerMinute > 0
        ? { message: { name: 'message', capacity: s.messagesPerKeyPerMinute, periodMs: MINUTE } }
        : {}),
      ...(s.sessionsPerKeyPerMinute > 0
        ? { session: { name: 'session', capacity: s.sessionsPerKeyPerMinute, periodMs: MINUTE } }
        : {}),
    };
  }

  /**
   * Charges one request: the caller's bucket first, the address's only for a request the caller's
   * budget lets through, so one key hammering refused requests cannot spend the budget other keys (and
   * unauthenticated `/health`) share behind the same address. `caller` undefined: address only.
   * @throws GatewayError RATE_LIMITED with retryAfterSeconds.
   */
  request(caller: string | undefined, address: string): void | Promise<void> {
    const byAddress = () =>
      this.rules.address
        ? this.charge(`a:${address}`, this.rules.address, 'requests per minute per address')
        : undefined;
    const first =
      this.rules.key && caller !== undefined
        ? this.charge(`k:${caller}`, this.rules.key, 'requests per minute per key')
        : undefined;
    return first ? first.then(byAddress) : byAddress();
  }

  /**
   * Charges one message inside a session (`Mcp-Session-Id`, or a POST to a legacy SSE session): the
   * caller's message budget only. @throws GatewayError RATE_LIMITED
   */
  message(caller: string | undefined, address: string): void | Promise<void> {
    if (this.rules.message)
      return this.charge(`m:${caller ?? address}`, this.rules.message, 'messages per minute per key');
  }

  /**
   * Charges one new MCP session (an initialize without a session, a legacy SSE stream): a session costs no
   * process and a few KB, so it has a budget of its own per caller. @throws GatewayError RATE_LIMITED
   */
  session(caller: string | undefined, address: string): void | Promise<void> {
    if (this.rules.session)
      return this.charge(`s:${caller ?? address}`, this.rules.session, 'new sessions per minute per key');
  }

  /** Charges one install (a package version not in the store yet). @throws GatewayError RATE_LIMITED */
  async install(caller: string, address: string): Promise<void> {
    const rule = this.rules.install;
    if (!rule) return;
    await this.charge(`k:${caller}`, rule, 'installs per hour per key');
    await this.charge(`a:${address}`, rule, 'installs per hour per address');
  }

  /** Charges one token; at once when the store answers at once. @throws GatewayError RATE_LIMITED */
  private charge(key: string, rule: BucketRule, what: string): void | Promise<void> {
    const d = this.store.take(key, rule);
    if (d instanceof Promise) return d.then((answer) => this.verdict(answer, rule, what));
    this.verdict(d, rule, what);
  }

  private verdict(d: RateDecision, rule: BucketRule, what: string): void {
    if (d.allowed) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
    throw new GatewayError('RATE_LIMITED', `Rate limit reached: ${rule.capacity} ${what}.`, {
      limit: `${rule.capacity} ${what}`,
      retryAfterSeconds,
    });
  }
}
