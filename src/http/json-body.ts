/** @module Reading JSON request bodies with a size and a nesting limit. */
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
 * Reads a JSON body up to `limit` bytes and `MAX_JSON_DEPTH` levels.
 * @throws GatewayError PAYLOAD_TOO_LARGE, MALFORMED_REQUEST
 */
export async function readJsonBody(req: Request, limit: number): Promise<unknown> {
  const declared = Number(req.headers.get('content-length') ?? 0);
  if (declared > limit)
    throw new GatewayError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes.`, { limit });
  const text = new TextDecoder().decode(await readCapped(req, limit));
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
async function readCapped(req: Request, limit: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new GatewayError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes.`, {
        limit,
      });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
