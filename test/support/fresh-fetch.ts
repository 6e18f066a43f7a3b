/**
 * A fetch that opens a new TCP connection for every request. Node's cluster module (PM2 cluster mode)
 * spreads connections, not requests, over its workers, and fetch keeps connections alive: with this a
 * client's requests really spread over the workers, as many clients' would.
 */
import { request } from 'node:http';
import { Readable } from 'node:stream';

export async function freshConnectionFetch(
  input: string | URL | Request,
  init: RequestInit = {},
): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const headers = new Headers(init.headers);
  const body = init.body === undefined || init.body === null ? undefined : String(init.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: init.method ?? 'GET', headers: Object.fromEntries(headers), agent: false },
      (res) => {
        const out = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') out.set(k, v);
        const status = res.statusCode ?? 500;
        const noBody = status === 204 || status === 304 || init.method === 'HEAD';
        resolve(
          new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream), {
            status,
            statusText: res.statusMessage ?? '',
            headers: out,
          }),
        );
      },
    );
    const abort = () => req.destroy(new Error('aborted'));
    init.signal?.addEventListener('abort', abort, { once: true });
    req.on('close', () => init.signal?.removeEventListener('abort', abort));
    req.on('error', reject);
    req.end(body);
  });
}
