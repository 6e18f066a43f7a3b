/**
 * @module Node HTTP server limits against slow clients: a client must send its headers within
 * `headersTimeoutMs` and its whole request within `requestBodyTimeoutMs` (408 and close otherwise);
 * idle keep-alive connections close after `keepAliveTimeoutMs`. Responses (SSE streams) are not limited.
 */
import type { ServerOptions } from 'node:http';

export interface ServerLimits {
  headersTimeoutMs: number;
  requestBodyTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/** Options for `http.createServer` (via @hono/node-server's `serverOptions`). */
export function serverOptions(l: ServerLimits): ServerOptions {
  const requestTimeout = Math.max(l.requestBodyTimeoutMs, l.headersTimeoutMs);
  return {
    headersTimeout: l.headersTimeoutMs,
    requestTimeout,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    // Node checks both timeouts on this interval (default 30 s); check often enough to honour them.
    connectionsCheckingInterval: Math.max(250, Math.min(1000, Math.floor(l.headersTimeoutMs / 2))),
  };
}
