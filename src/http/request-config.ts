/** @module The configuration and caller of a package request, as the launcher takes them. */
import type { Context } from 'hono';
import type { RequestConfig } from '../launch/package-launcher.js';
import { carrierOfHeaders } from '../observability/tracing.js';
import { configFromHeaders } from '../runtime/env-mapping.js';

/** Query pairs, configuration headers and the caller (set by the access middleware). */
export function requestConfig(c: Context, query: ReadonlyArray<[string, string]>): RequestConfig {
  return {
    query,
    headers: configFromHeaders(c.req.raw.headers),
    trace: carrierOfHeaders((name) => c.req.header(name)),
    caller: { principal: c.get('principal'), address: c.get('clientAddress') },
  };
}
