/**
 * The floor the CPU benchmark measures the gateway against: the least a Streamable HTTP → stdio relay can
 * do. node:http; a POSTed body is parsed, its id rewritten and written to the child's stdin; each stdout
 * line is parsed, its id restored and sent back as the JSON answer. Notifications get 202. No sessions,
 * no checks, no logs. Run: node --import tsx bench/minimal-relay.ts PORT COMMAND [ARGS…]
 */
import { spawn } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import { createInterface } from 'node:readline';

const [port, command, ...args] = process.argv.slice(2);
const child = spawn(command as string, args, { stdio: ['pipe', 'pipe', 'ignore'] });
const waiting = new Map<number, { res: ServerResponse; id: unknown }>();
let next = 0;

createInterface({ input: child.stdout }).on('line', (line) => {
  const m = JSON.parse(line);
  const w = waiting.get(m.id);
  if (!w) return;
  waiting.delete(m.id);
  m.id = w.id;
  w.res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'minimal' });
  w.res.end(JSON.stringify(m));
});

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const m = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (m.id === undefined) {
      child.stdin.write(`${JSON.stringify(m)}\n`);
      res.writeHead(202).end();
      return;
    }
    const id = ++next;
    waiting.set(id, { res, id: m.id });
    m.id = id;
    child.stdin.write(`${JSON.stringify(m)}\n`);
  });
}).listen(Number(port), '127.0.0.1');
