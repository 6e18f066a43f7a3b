/**
 * @module Passes a request on to another instance and its answer back, streaming both ways (a POST's SSE
 * answer, a GET stream, a legacy SSE POST), over keep-alive connections (fetch's pool). The client's
 * disconnect aborts the forwarded request, so the owner sees the stream close too.
 */
import { CLAIMS_HEADER, type ForwardClaims, SIGNATURE_HEADER, signForward } from './forward-signature.js';

/** Headers of one connection (RFC 9110 §7.6.1), never passed on. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
  'content-length',
  SIGNATURE_HEADER,
  CLAIMS_HEADER,
];

/** Raised when the owner cannot be reached at all (it died): its sessions are gone. */
export class OwnerUnreachableError extends Error {
  override readonly name = 'OwnerUnreachableError';
}

/**
 * Sends `req` to the instance at `address` as `claims`' caller. `target` overrides the path and query
 * (cluster views add `scope=local`); `requestId` is passed on as X-Request-Id. @throws OwnerUnreachableError when no connection can be made.
 */
export async function forwardRequest(
  req: Request,
  address: string,
  secret: string,
  claims: ForwardClaims,
  opts: { target?: string; requestId?: string } = {},
): Promise<Response> {
  const url = new URL(req.url);
  const path = opts.target ?? `${url.pathname}${url.search}`;
  const headers = new Headers(req.headers);
  for (const h of HOP_BY_HOP) headers.delete(h);
  // One request id in both instances' log lines.
  if (opts.requestId) headers.set('x-request-id', opts.requestId);
  for (const [k, v] of Object.entries(signForward(secret, req.method, path, claims))) headers.set(k, v);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && req.body !== null;
  let res: Response;
  try {
    res = await fetch(`http://${address}${path}`, {
      method: req.method,
      headers,
      redirect: 'manual',
      signal: req.signal,
      ...(hasBody ? { body: req.body, duplex: 'half' } : {}),
    } as RequestInit);
  } catch (err) {
    if (req.signal.aborted) throw err;
    throw new OwnerUnreachableError(`instance at ${address} unreachable`, { cause: err });
  }
  const out = new Headers(res.headers);
  for (const h of HOP_BY_HOP) out.delete(h);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers: out });
}
