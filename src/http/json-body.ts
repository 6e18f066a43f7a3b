/** @module Reading JSON request bodies with a size limit. */
import { GatewayError } from '../errors/gateway-error.js';

/** Reads a JSON body up to `limit` bytes. @throws GatewayError PAYLOAD_TOO_LARGE, MALFORMED_REQUEST */
export async function readJsonBody(req: Request, limit: number): Promise<unknown> {
  const declared = Number(req.headers.get('content-length') ?? 0);
  if (declared > limit)
    throw new GatewayError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes.`, { limit });
  const buf = await readCapped(req, limit);
  try {
    return JSON.parse(new TextDecoder().decode(buf));
  } catch (cause) {
    throw new GatewayError('MALFORMED_REQUEST', 'The request body is not valid JSON.', {}, { cause });
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
