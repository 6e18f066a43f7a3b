/**
 * @module Validation of 2026-07-28 ("modern") requests on Streamable HTTP (pure): the MCP-Protocol-Version
 * header must match `_meta["io.modelcontextprotocol/protocolVersion"]`, Mcp-Method the method, and Mcp-Name
 * the tool, prompt or resource (spec 2026-07-28 basic/transports/streamable-http "Server Validation").
 */

import { JsonRpcCode } from '../protocol/rpc-errors.js';
import { MODERN_VERSIONS, PROTOCOL_VERSION_META_KEY, SUPPORTED_VERSIONS } from '../protocol/versions.js';

/** Wire error codes of the modern era (spec 2026-07-28 schema). */
export const ModernErrorCode = {
  HeaderMismatch: JsonRpcCode.HeaderMismatch,
  UnsupportedProtocolVersion: JsonRpcCode.UnsupportedProtocolVersion,
  InvalidParams: JsonRpcCode.InvalidParams,
} as const;

/** Methods whose Mcp-Name header mirrors params.name or params.uri. */
const NAMED_METHODS: Record<string, 'name' | 'uri'> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

export interface ModernRequest {
  jsonrpc: '2.0';
  id?: string | number;
  method: string;
  params?: Record<string, unknown>;
}

export type ModernVerdict =
  | { ok: true; version: string }
  | { ok: false; code: number; message: string; data?: unknown };

/** The modern protocol version a body declares in its `_meta`, if any. */
export function declaredModernVersion(body: unknown): string | undefined {
  const meta = (body as { params?: { _meta?: Record<string, unknown> } } | null)?.params?._meta;
  const v = meta?.[PROTOCOL_VERSION_META_KEY];
  return typeof v === 'string' ? v : undefined;
}

/** Decodes the `=?base64?…?=` sentinel form of Mcp-Name and Mcp-Param-* values. */
export function decodeHeaderValue(value: string): string {
  const m = /^=\?base64\?(.*)\?=$/.exec(value);
  return m ? Buffer.from(m[1] ?? '', 'base64').toString('utf8') : value;
}

const mismatch = (message: string): ModernVerdict => ({
  ok: false,
  code: ModernErrorCode.HeaderMismatch,
  message: `Header mismatch: ${message}`,
});

/** Checks a modern request's headers against its body. */
export function validateModernRequest(
  header: (name: string) => string | undefined,
  body: ModernRequest,
): ModernVerdict {
  const declared = declaredModernVersion(body);
  const version = header('mcp-protocol-version');
  if (!version) return mismatch('the MCP-Protocol-Version header is missing');
  if (declared === undefined) return mismatch(`the body carries no _meta["${PROTOCOL_VERSION_META_KEY}"]`);
  if (version !== declared)
    return mismatch(`MCP-Protocol-Version header '${version}' does not match body value '${declared}'`);
  if (!MODERN_VERSIONS.includes(declared)) {
    return {
      ok: false,
      code: ModernErrorCode.UnsupportedProtocolVersion,
      message: 'Unsupported protocol version',
      data: { supported: SUPPORTED_VERSIONS, requested: declared },
    };
  }
  const method = header('mcp-method');
  if (method === undefined) return mismatch('the Mcp-Method header is missing');
  if (method !== body.method)
    return mismatch(`Mcp-Method header value '${method}' does not match body value '${body.method}'`);
  const field = NAMED_METHODS[body.method];
  if (field) {
    const name = header('mcp-name');
    const bodyValue = body.params?.[field];
    if (name === undefined) return mismatch('the Mcp-Name header is missing');
    if (decodeHeaderValue(name) !== bodyValue)
      return mismatch(
        `Mcp-Name header value '${name.slice(0, 100)}' does not match body value '${String(bodyValue).slice(0, 100)}'`,
      );
  }
  return { ok: true, version: declared };
}
