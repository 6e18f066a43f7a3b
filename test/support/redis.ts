/** A real redis-server (Debian's package) on a free loopback port, without persistence, for cluster tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';

export const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) =>
  existsSync(p),
);

export interface TestRedis {
  url: string;
  port: number;
  /** Stops it (SIGKILL: no goodbye to clients, like a crash). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function answers(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' }, () => {
      s.write(password ? `AUTH ${password}\r\nPING\r\n` : 'PING\r\n');
    });
    s.once('data', (d) => {
      s.destroy();
      resolve(String(d).startsWith(password ? '+OK' : '+PONG'));
    });
    s.once('error', () => resolve(false));
  });
}

async function freePortBelowEphemeral(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** Starts a redis-server; throws when Debian's redis-server is not installed (`apt-get install redis-server`). */
export async function startRedis(password?: string): Promise<TestRedis> {
  if (!REDIS_SERVER) throw new Error('redis-server not found: apt-get install redis-server');
  // Outside the ephemeral range freePort() draws from: while this Redis is down (an outage test), no
  // other suite's server can take its port, and its clients cannot reconnect to a stranger.
  const port = await freePortBelowEphemeral();
  let child: ChildProcess | undefined;
  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    child = spawn(REDIS_SERVER, [...args, ...(password ? ['--requirepass', password] : [])], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    while (!(await answers(port, password))) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL'); // never leave a server behind that no test can stop
        throw new Error('redis-server did not start');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  };
  await start();
  const url = password
    ? `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`
    : `redis://127.0.0.1:${port}`;
  return { url, port, kill, start, stop: kill };
}
