/**
 * The front against a fake HTTP call and a fake child (no sockets, no processes): a session's POSTs
 * (JSON, SSE when something comes first, batches, refusals, a client that goes away) and stateless
 * 2026-07-28 requests (shaped results, validation, cancellation on disconnect).
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import type { EventSink, HttpCall } from '../../src/front/http-call.js';
import { serveSessionPost } from '../../src/front/mcp-endpoint.js';
import type { McpSession } from '../../src/front/mcp-sessions.js';
import { refuseInvalidModern, serveModern } from '../../src/front/modern-exchange.js';
import type { ModernRequest } from '../../src/front/modern-request.js';
import { type ClientTransport, SessionPort } from '../../src/front/session-port.js';
import { createLogger } from '../../src/observability/logger.js';
import { Relay } from '../../src/relay/relay.js';
import { FakeChild } from '../support/fake-child.js';

/** What the front answered on one call. */
class FakeCall implements HttpCall {
  readonly method = 'POST';
  readonly path = '/package/fake/mcp';
  status = 0;
  headers: Record<string, string> = {};
  body: string | null = null;
  events = '';
  ended = false;
  private aborts: Array<() => void> = [];

  constructor(
    private readonly payload: unknown,
    private readonly requestHeaders: Record<string, string> = {
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
    },
  ) {}

  header(name: string): string | undefined {
    return this.requestHeaders[name];
  }
  async json(): Promise<unknown> {
    return this.payload;
  }
  answer(status: number, headers: Record<string, string>, body: string | null): void {
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.ended = true;
  }
  stream(headers: Record<string, string>): EventSink {
    this.status = 200;
    this.headers = headers;
    return {
      write: (text) => {
        this.events += text;
        return !this.ended;
      },
      end: () => {
        this.ended = true;
      },
    };
  }
  respond(): void {
    throw new Error('not on this path');
  }
  webRequest(): Request {
    throw new Error('not on this path');
  }
  onAbort(cb: () => void): void {
    this.aborts.push(cb);
  }
  /** The client goes away. */
  abort(): void {
    for (const cb of this.aborts) cb();
  }
  json200(): Record<string, unknown> {
    return JSON.parse(this.body ?? 'null');
  }
}

/** The session's own stream (its GET), as the session's SDK transport would carry it. */
class FakeStream implements ClientTransport {
  onmessage?: (m: JSONRPCMessage) => void;
  readonly got: JSONRPCMessage[] = [];
  async send(m: JSONRPCMessage): Promise<void> {
    this.got.push(m);
  }
}

const logger = createLogger({ level: 'silent' });
const SETTINGS = { maxBodyBytes: 1_000_000, keepAliveMs: 0 };

function session() {
  const child = new FakeChild();
  const relay = new Relay(child, { requestTimeoutMs: 60_000 });
  const stream = new FakeStream();
  const port = new SessionPort(stream, logger);
  port.bind(relay);
  const s = { id: 'sess-1', port } as unknown as McpSession;
  return { child, relay, stream, session: s };
}

const call = (id: string | number, name = 'echo', params: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: {}, ...params },
});

describe('front: a POST in a 2025 session', () => {
  it('relays a request and answers JSON with the client id and the session id', async () => {
    const { child, session: s } = session();
    const c = new FakeCall(call(5));
    await serveSessionPost(c, s, SETTINGS);
    const sent = child.last('tools/call');
    expect(sent.id).not.toBe(5);
    child.emit({ id: sent.id, result: { content: [{ type: 'text', text: 'hi' }] } });
    expect(c.status).toBe(200);
    expect(c.headers).toMatchObject({ 'content-type': 'application/json', 'mcp-session-id': 'sess-1' });
    expect(c.json200()).toEqual({
      jsonrpc: '2.0',
      id: 5,
      result: { content: [{ type: 'text', text: 'hi' }] },
    });
  });

  it('switches to an event stream when progress comes before the result', async () => {
    const { child, session: s } = session();
    const c = new FakeCall(call(6, 'slow', { _meta: { progressToken: 'p1' } }));
    await serveSessionPost(c, s, SETTINGS);
    const sent = child.last('tools/call');
    const token = (sent.params?._meta as { progressToken?: string } | undefined)?.progressToken;
    child.emit({ method: 'notifications/progress', params: { progressToken: token, progress: 1 } });
    child.emit({ id: sent.id, result: {} });
    expect(c.headers['content-type']).toBe('text/event-stream');
    const events = c.events.split('\n\n').filter(Boolean);
    expect(events).toHaveLength(2);
    expect(events[0]).toContain('"progressToken":"p1"');
    expect(events[1]).toContain('"id":6');
    expect(c.ended).toBe(true);
  });

  it('answers a batch once every request in it is answered', async () => {
    const { child, session: s } = session();
    const c = new FakeCall([call('a'), call('b')]);
    await serveSessionPost(c, s, SETTINGS);
    const [first, second] = child.sent;
    child.emit({ id: second?.id, result: { n: 2 } });
    expect(c.status).toBe(0);
    child.emit({ id: first?.id, result: { n: 1 } });
    expect(c.json200()).toEqual([
      { jsonrpc: '2.0', id: 'b', result: { n: 2 } },
      { jsonrpc: '2.0', id: 'a', result: { n: 1 } },
    ]);
  });

  it('answers notifications 202 and refuses an id already in flight with -32600', async () => {
    const { child, session: s } = session();
    const note = new FakeCall({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
    await serveSessionPost(note, s, SETTINGS);
    expect(note.status).toBe(202);
    expect(child.last('notifications/roots/list_changed')).toBeDefined();
    await serveSessionPost(new FakeCall(call(9)), s, SETTINGS);
    const again = new FakeCall(call(9));
    await serveSessionPost(again, s, SETTINGS);
    expect(again.status).toBe(400);
    expect(again.json200()).toMatchObject({ error: { code: -32600 } });
    expect(child.sent.filter((m) => m.method === 'tools/call')).toHaveLength(1);
  });

  it('refuses a POST without both Accept types (406) and relays nothing', async () => {
    const { child, session: s } = session();
    const c = new FakeCall(call(1), { accept: 'application/json', 'content-type': 'application/json' });
    await serveSessionPost(c, s, SETTINGS);
    expect(c.status).toBe(406);
    expect(child.sent).toEqual([]);
  });

  it('sends what comes after the client went away to the session stream, and does not cancel', async () => {
    const { child, stream, session: s } = session();
    const c = new FakeCall(call(3));
    await serveSessionPost(c, s, SETTINGS);
    const sent = child.last('tools/call');
    c.abort();
    child.emit({ id: sent.id, result: { late: true } });
    expect(c.status).toBe(0);
    expect(stream.got).toEqual([{ jsonrpc: '2.0', id: 3, result: { late: true } }]);
    expect(child.sent.some((m) => m.method === 'notifications/cancelled')).toBe(false);
  });
});

const MODERN = '2026-07-28';
const modern = (id: number, extra: Record<string, unknown> = {}): ModernRequest => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: {
    name: 'echo',
    arguments: {},
    _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN },
    ...extra,
  },
});
const modernHeaders = {
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
  'mcp-protocol-version': MODERN,
  'mcp-method': 'tools/call',
  'mcp-name': 'echo',
};

describe('front: a stateless 2026-07-28 request', () => {
  it('answers a complete result and strips the modern _meta before the legacy child', () => {
    const child = new FakeChild();
    const relay = new Relay(child, { requestTimeoutMs: 60_000 });
    const c = new FakeCall(modern(1), modernHeaders);
    expect(refuseInvalidModern(c, modern(1))).toBe(false);
    serveModern(c, modern(1), relay, 0);
    const sent = child.last('tools/call');
    expect(sent.params?._meta).toBeUndefined();
    child.emit({ id: sent.id, result: { content: [] } });
    expect(c.json200()).toEqual({ jsonrpc: '2.0', id: 1, result: { resultType: 'complete', content: [] } });
    expect(relay.ports.size).toBe(0);
  });

  it('refuses a request whose headers do not repeat its body', () => {
    const c = new FakeCall(modern(2), { ...modernHeaders, 'mcp-name': 'other' });
    expect(refuseInvalidModern(c, modern(2))).toBe(true);
    expect(c.status).toBe(400);
    expect(c.json200()).toMatchObject({ error: { code: -32020 } });
  });

  it('cancels the request at the child when its client goes away', () => {
    const child = new FakeChild();
    const relay = new Relay(child, { requestTimeoutMs: 60_000 });
    const c = new FakeCall(modern(3), modernHeaders);
    serveModern(c, modern(3), relay, 0);
    const sent = child.last('tools/call');
    c.abort();
    expect(child.last('notifications/cancelled').params).toMatchObject({ requestId: sent.id });
    expect(relay.inFlight).toBe(0);
  });
});
