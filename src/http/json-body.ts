/** @module Reading JSON request bodies with a size limit. */
import { GatewayError } from '../errors/gateway-error.js';

/** Reads a JSON body up to `limit` bytes. @throws GatewayError PAYLOAD_TOO_LARGE, MALFORMED_REQUEST */
export async function readJsonBody(req: Request, limit: number): Promise<unknown> {
  const declared = Number(req.headers.get('content-length') ?? 0);
  if (declared > limit)
    throw new GatewayError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes.`, { limit });
  const buf = await req.arrayBuffer();
  if (buf.byteLength > limit)
    throw new GatewayError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes.`, { limit });
  try {
    return JSON.parse(new TextDecoder().decode(buf));
  } catch (cause) {
    throw new GatewayError('MALFORMED_REQUEST', 'The request body is not valid JSON.', {}, { cause });
  }
}
