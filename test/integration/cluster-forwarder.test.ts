/**
 * Forwarding between instances, over real sockets: a dead owner (nothing listens) is told apart from a
 * broken connection to a live one (a 404 for the session versus a 503 to retry), and a request on a
 * kept-alive connection the owner had just closed goes once more on a new connection.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ForwardFailedError, forwardRequest, OwnerUnreachableError } from '../../src/cluster/forwarder.js';
import { freePort } from '../support/net.js';

const SECRET = 'forwarder-test-secret-0123456789';
const claims = {
  principal: { id: 'alice', role: 'user' as const, anonymous: false },
  clientAddress: '127.0.0.1',
  from: 'a',
};
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

async function listen(handler: RequestListener): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const post = (address: string, body: string) =>
  forwardRequest(
    new Request(`http://${address}/package/x/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      body,
    }),
    address,
    SECRET,
    claims,
  );

describe('forwardRequest', () => {
  it('reports an owner with nothing listening as unreachable (its sessions are gone)', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    await expect(post(address, '{}')).rejects.toBeInstanceOf(OwnerUnreachableError);
  });

  it('reports a connection a live owner broke as a failed forward, not a dead owner', async () => {
    const address = await listen((req) => req.socket.destroy());
    const err = await post(address, '{}').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForwardFailedError);
  });

  it('sends a request again on a new connection when its kept-alive one was closed under it', async () => {
    const served = new Map<Socket, number>();
    const address = await listen((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      // The second request on a connection finds it closed, as when the owner's keep-alive timer fires.
      if (n > 1) return req.socket.destroy();
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ echoed: body, signed: typeof req.headers['x-mcpgw-signature'] === 'string' }),
        );
      });
    });
    const first = await post(address, '{"n":1}');
    expect(await first.json()).toEqual({ echoed: '{"n":1}', signed: true });
    const second = await post(address, '{"n":2}'); // reuses the pooled connection, which the owner drops
    expect(await second.json()).toEqual({ echoed: '{"n":2}', signed: true });
    expect(served.size).toBe(2); // the retry came on a second connection
  });
});
