/** @module Reading JSON request bodies with a size and a nesting limit. */
import type { Context } from 'hono';
import { GatewayError } from '../errors/gateway-error.js';

/**
 * Deepest nesting of arrays and objects accepted. Parsing deeper JSON works, but serializing it again
 * (to the child, to a log) overflows the stack; no MCP message comes near this.
 */
export const MAX_JSON_DEPTH = 512;

/** The deepest nesting of `[` and `{` in a JSON text, strings skipped (one pass, no recursion). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) max = Math.max(max, ++depth);
    else if (c === 93 || c === 125) depth--;
  }
  return max;
}

/**
 * Reads a JSON body up to `limit` bytes and `MAX_JSON_DEPTH` levels. `incoming` is the Node request
 * under Hono's (`c.env.incoming`) when there is one: reading it directly skips building a web stream
 * for every message (a tenth of the gateway's CPU per call in the profile).
 * @throws GatewayError PAYLOAD_TOO_LARGE, MALFORMED_REQUEST
 */
export async function readJsonBody(
  req: Request,
  limit: number,
  incoming?: AsyncIterable<Uint8Array>,
): Promise<unknown> {
  refuseDeclaredSize(req.headers.get('content-length') ?? undefined, limit);
  const source = incoming ?? (req.body as AsyncIterable<Uint8Array> | null);
  return parseJsonBody(source ? (await readCapped(source, limit)).toString('utf8') : '');
}

/** @throws GatewayError PAYLOAD_TOO_LARGE when a declared Content-Length is over `limit` bytes. */
export function refuseDeclaredSize(contentLength: string | undefined, limit: number): void {
  if (Number(contentLength ?? 0) > limit) throw tooLarge(limit);
}

export const tooLarge = (limit: number) =>
  new GatewayError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes.`, { limit });

/** Parses a JSON body of at most MAX_JSON_DEPTH levels. @throws GatewayError MALFORMED_REQUEST */
export function parseJsonBody(text: string): unknown {
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH)
    throw new GatewayError(
      'MALFORMED_REQUEST',
      `The request body nests ${depth} levels deep; at most ${MAX_JSON_DEPTH} are accepted.`,
      { part: 'body', maxDepth: MAX_JSON_DEPTH },
    );
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new GatewayError(
      'MALFORMED_REQUEST',
      'The request body is not valid JSON.',
      { part: 'body' },
      { cause },
    );
  }
}

/**
 * Reads a body chunk by chunk and stops at `limit` bytes, so a chunked upload without Content-Length
 * cannot make the gateway buffer more than the limit. @throws GatewayError PAYLOAD_TOO_LARGE
 */
async function readCapped(source: AsyncIterable<Uint8Array>, limit: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early (the throw) cancels a web stream and destroys a Node stream.
  for await (const value of source) {
    size += value.byteLength;
    if (size > limit) throw tooLarge(limit);
    chunks.push(value);
  }
  const [only] = chunks;
  if (chunks.length !== 1 || !only) return Buffer.concat(chunks);
  return Buffer.isBuffer(only) ? only : Buffer.from(only.buffer, only.byteOffset, only.byteLength);
}

/** Reads the JSON body of a Hono request (from the Node request beneath it when served by Node). */
export function readRequestJson(c: Context, limit: number): Promise<unknown> {
  const incoming = (c.env as { incoming?: AsyncIterable<Uint8Array> } | undefined)?.incoming;
  return readJsonBody(c.req.raw, limit, incoming);
}
