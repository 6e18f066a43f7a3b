/** The real server process: slow clients are cut off, and a public bind without keys refuses to start. */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, spawnGateway } from '../support/gateway-process.js';

/** Opens a raw connection, sends `data`, and resolves with what came back and how long until close. */
function rawExchange(
  url: string,
  data: string,
  maxMs: number,
): Promise<{ reply: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let reply = '';
    const socket = connect(Number(port), hostname, () => socket.write(data));
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connection still open after ${maxMs} ms`));
    }, maxMs);
    socket.on('data', (c) => {
      reply += String(c);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(guard);
      resolve({ reply, closedAfterMs: Date.now() - started });
    });
  });
}

describe('slow clients', () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await spawnGateway({ HEADERS_TIMEOUT_MS: '1000', REQUEST_BODY_TIMEOUT_MS: '2000' });
  });
  afterAll(async () => {
    gw?.child.kill('SIGTERM');
    await gw?.exited;
  });

  it('closes a connection whose headers never finish (slowloris)', async () => {
    const r = await rawExchange(gw.url, 'GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n', 8000);
    expect(r.closedAfterMs).toBeLessThan(4000);
    expect(r.reply === '' || r.reply.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('closes a connection whose body never finishes', async () => {
    const r = await rawExchange(
      gw.url,
      'POST /package/fixture-echo-mcp/mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":',
      10_000,
    );
    expect(r.closedAfterMs).toBeLessThan(6000);
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
  });
});

describe('exposure at start-up', () => {
  it('exits with a clear message when asked to listen publicly without API keys', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', '--host', '0.0.0.0', '--port', '0'],
      {
        cwd: path.resolve(import.meta.dirname, '../..'),
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          NPM_REGISTRY_URL: 'http://127.0.0.1:9',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    child.stderr.on('data', (c) => {
      err += String(c);
    });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(2); // a configuration the operator must change
    expect(err).toMatch(/Refusing to listen on 0\.0\.0\.0 without API keys/);
    expect(err).not.toMatch(/\n\s+at /);
  });
});
