/**
 * @module Splits the path of a package request, `/package/{spec}/{protocol}`, into its decoded parts (pure).
 * The spec may itself contain `/` (npm scopes) or `%2F`, so the protocol is the last segment.
 */
import { GatewayError } from '../errors/gateway-error.js';

/** Protocols this build serves on /package/{spec}/{protocol}. */
export const SUPPORTED_PROTOCOLS = ['stdio', 'mcp', 'sse'] as const;
export type Protocol = (typeof SUPPORTED_PROTOCOLS)[number];

export interface PackagePath {
  spec: string;
  protocol: Protocol;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (cause) {
    throw new GatewayError(
      'MALFORMED_REQUEST',
      `The path segment '${segment.slice(0, 80)}' is not valid percent-encoding.`,
      {},
      { cause },
    );
  }
}

/**
 * Parses the raw (still percent-encoded) path after `/package/`.
 * @throws GatewayError INVALID_PROTOCOL when the protocol is missing or unknown; MALFORMED_REQUEST on bad encoding.
 */
export function parsePackagePath(rest: string): PackagePath {
  const segments = rest.split('/');
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
  if (segments.length < 2) {
    throw new GatewayError(
      'INVALID_PROTOCOL',
      `Missing protocol. Use /package/{packageName}/{protocol} with protocol one of: ${SUPPORTED_PROTOCOLS.join(', ')}.`,
      { supported: SUPPORTED_PROTOCOLS },
    );
  }
  const protocolRaw = decodeSegment(segments.pop() as string);
  const spec = segments.map(decodeSegment).join('/');
  if (!(SUPPORTED_PROTOCOLS as readonly string[]).includes(protocolRaw)) {
    throw new GatewayError(
      'INVALID_PROTOCOL',
      `Protocol must be one of: ${SUPPORTED_PROTOCOLS.join(', ')} (got '${protocolRaw.slice(0, 40)}').`,
      { supported: SUPPORTED_PROTOCOLS, protocol: protocolRaw.slice(0, 40) },
    );
  }
  return { spec, protocol: protocolRaw as Protocol };
}

/**
 * True for the path of an MCP endpoint: a package's (`/package/{spec}/mcp` or `/sse`) or a toolset's
 * (`/toolsets/{name}/mcp` or `/sse`). Each is an OAuth resource of its own and carries sessions.
 */
export function isMcpEndpointPath(path: string): boolean {
  if (path.startsWith('/package/')) return /\/(mcp|sse)$/.test(path);
  return /^\/toolsets\/[^/]+\/(mcp|sse)$/.test(path);
}
