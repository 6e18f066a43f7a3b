/**
 * A local double of the npm downloads API (api.npmjs.org cannot be reached here), answering in its
 * documented format: GET /downloads/point/last-month/{package} ->
 * {"downloads": N, "start": "YYYY-MM-DD", "end": "YYYY-MM-DD", "package": "name"}; unknown -> 404 {"error": "package NAME not found"}.
 */
import { createServer, type Server } from 'node:http';

export async function startDownloadsApi(
  counts: Record<string, number>,
): Promise<{ url: string; stop(): Promise<void>; requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname);
    const m = /^\/downloads\/point\/last-month\/(.+)$/.exec(url.pathname);
    res.setHeader('content-type', 'application/json');
    const name = m ? decodeURIComponent(m[1] as string) : '';
    if (!m || !(name in counts)) {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: `package ${name} not found` }));
      return;
    }
    const end = new Date();
    const start = new Date(end.getTime() - 30 * 86_400_000);
    res.end(
      JSON.stringify({
        downloads: counts[name],
        start: start.toISOString().slice(0, 10),
        end: end.toISOString().slice(0, 10),
        package: name,
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}
