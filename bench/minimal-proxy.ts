/**
 * The floor of one more HTTP hop, for the cluster benchmark: the least a Node HTTP proxy does (keep-alive
 * connections, the body read whole, the answer piped back). No checks, no signatures, no logs.
 * Run: node --import tsx bench/minimal-proxy.ts PORT TARGET_PORT
 */
import { Agent, createServer, request } from 'node:http';

const [port, target] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true });

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const out = request(
      { host: '127.0.0.1', port: target, path: req.url, method: req.method, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    out.end(Buffer.concat(chunks));
  });
}).listen(port, '127.0.0.1');
