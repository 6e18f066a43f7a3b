/**
 * @module CORS of the MCP endpoints (packages' and toolsets'): pages on the origins the operator allows
 * (ALLOWED_ORIGINS) may use them and read the MCP headers; every other page's request is refused before
 * (access-control.ts), so CORS only opens what is allowed.
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { compileOrigins } from '../policy/origin-check.js';

export function mcpCors(allowedOrigins: readonly string[]): MiddlewareHandler {
  const allowed = compileOrigins(allowedOrigins);
  return cors({
    origin: (origin) => (allowed.some((re) => re.test(origin)) ? origin : null),
    allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    exposeHeaders: ['Mcp-Session-Id', 'MCP-Protocol-Version', 'X-Request-Id'],
    maxAge: 600,
  });
}
