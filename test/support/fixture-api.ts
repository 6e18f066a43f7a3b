/**
 * A small HTTP API on 127.0.0.1 for the fixture servers that call one (fixture-api-mcp,
 * fixture-py-api-mcp): `GET /v1/account` checks the Bearer key, `GET /v1/search?q=` answers results.
 * Keys starting with `good-` are valid. Every request is recorded, so tests can see what the servers sent.
 */
import { createServer, type Server } from 'node:http';

export interface FixtureApi {
  url: string;
  /** Its loopback port (children reach it only when CHILD_HOST_PORTS lists it). */
  port: number;
  /** Requests seen: path and the key presented. */
  seen: Array<{ path: string; key: string }>;
  stop(): Promise<void>;
}

export async function startFixtureApi(): Promise<FixtureApi> {
  const seen: FixtureApi['seen'] = [];
  const server: Server = createServer((req, res) => {
    const key = /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const url = new URL(req.url ?? '/', 'http://localhost');
    seen.push({ path: url.pathname, key });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!key.startsWith('good-')) return json(401, { error: 'authentication failed for this key' });
    if (url.pathname === '/v1/account') return json(200, { account: 'acct_fixture' });
    if (url.pathname === '/v1/search')
      return json(200, { query: url.searchParams.get('q'), results: ['first', 'second'] });
    return json(404, { error: 'no such route' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
