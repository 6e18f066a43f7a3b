/**
 * The relay against a fake child (no registry, no sockets, no processes): ids, progress, cancellation,
 * timeouts, crashes, server requests, per-port bookkeeping and many ports.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Relay } from '../../src/relay/relay.js';
import type { RequestId } from '../../src/relay/relay-port.js';
import { FakeChild, FakeSink, type Msg } from '../support/fake-child.js';

const req = (id: RequestId, method: string, params: Record<string, unknown> = {}) =>
  ({ jsonrpc: '2.0', id, method, params }) as JSONRPCMessage;
const note = (method: string, params: Record<string, unknown> = {}) =>
  ({ jsonrpc: '2.0', method, params }) as JSONRPCMessage;

function setup(timeoutMs = 60_000) {
  const child = new FakeChild();
  const relay = new Relay(child, { requestTimeoutMs: timeoutMs });
  const open = (sink = new FakeSink()) => ({ sink, port: relay.open(sink) });
  return { child, relay, open };
}

afterEach(() => vi.useRealTimers());

describe('Relay', () => {
  it('answers initialize from the child identity and keeps notifications/initialized from the child', () => {
    const { child, open } = setup();
    const a = open();
    a.port.receive(req(0, 'initialize', { protocolVersion: '2025-06-18', capabilities: {} }));
    a.port.receive(note('notifications/initialized'));
    expect(child.sent).toEqual([]);
    expect(a.sink.answers()[0]).toMatchObject({
      id: 0,
      result: { protocolVersion: '2025-06-18', serverInfo: { name: 'fake' }, capabilities: { logging: {} } },
    });
  });

  it('gives two ports using the same client id their own answers', () => {
    const { child, open } = setup();
    const a = open();
    const b = open();
    a.port.receive(req(1, 'tools/call', { name: 'x' }));
    b.port.receive(req(1, 'tools/call', { name: 'y' }));
    const [toA, toB] = child.sent;
    expect(toA?.id).not.toBe(toB?.id);
    child.emit({ id: toB?.id, result: { who: 'b' } });
    child.emit({ id: toA?.id, result: { who: 'a' } });
    expect(a.sink.answers()).toEqual([{ jsonrpc: '2.0', id: 1, result: { who: 'a' } }]);
    expect(b.sink.answers()).toEqual([{ jsonrpc: '2.0', id: 1, result: { who: 'b' } }]);
    expect(a.sink.got[0]?.related).toBe(1);
  });

  it('rewrites progress tokens and restores them for the port that asked', () => {
    const { child, open } = setup();
    const a = open();
    const b = open();
    a.port.receive(req(7, 'tools/call', { name: 'p', _meta: { progressToken: 'tok' } }));
    b.port.receive(req(7, 'tools/call', { name: 'p', _meta: { progressToken: 'tok' } }));
    const tokenOf = (m: Msg | undefined) =>
      (m?.params?._meta as { progressToken?: string } | undefined)?.progressToken;
    const tokenA = tokenOf(child.sent[0]);
    const tokenB = tokenOf(child.sent[1]);
    expect(tokenA).toBeDefined();
    expect(tokenA).not.toBe(tokenB);
    child.emit({ method: 'notifications/progress', params: { progressToken: tokenB, progress: 50 } });
    expect(a.sink.got).toEqual([]);
    expect(b.sink.got[0]).toEqual({
      m: { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'tok', progress: 50 } },
      related: 7,
    });
  });

  it('passes a client cancellation on under the relay id and drops the late answer', () => {
    const { child, relay, open } = setup();
    const a = open();
    a.port.receive(req('c1', 'tools/call'));
    const relayId = child.sent[0]?.id;
    a.port.receive(note('notifications/cancelled', { requestId: 'c1', reason: 'user' }));
    expect(child.last('notifications/cancelled').params).toMatchObject({ requestId: relayId });
    child.emit({ id: relayId, result: {} });
    expect(a.sink.got).toEqual([]);
    expect(relay.inFlight).toBe(0);
  });

  it('times a request out: the child hears notifications/cancelled, the client an error', () => {
    vi.useFakeTimers();
    const { child, open } = setup(1000);
    const a = open();
    a.port.receive(req(3, 'tools/call'));
    vi.advanceTimersByTime(1001);
    expect(child.last('notifications/cancelled').params).toMatchObject({ requestId: child.sent[0]?.id });
    expect(a.sink.answers()[0]).toMatchObject({ id: 3, error: { code: -32001 } });
    expect(a.port.inFlight(3)).toBe(false);
  });

  it('fails everything in flight on every port when the child crashes', () => {
    const { child, relay, open } = setup();
    const a = open();
    const b = open();
    a.port.receive(req(1, 'tools/call'));
    b.port.receive(req(2, 'tools/list'));
    relay.onCrash('it exited with code 1', ['boom']);
    expect(a.sink.answers()[0]).toMatchObject({
      id: 1,
      error: { code: -32000, data: { stderrTail: ['boom'] } },
    });
    expect(b.sink.answers()[0]).toMatchObject({ id: 2, error: { code: -32000 } });
    expect(relay.inFlight).toBe(0);
    expect(child.sent.length).toBe(2);
  });

  it('fails a request at once when the child is not running', () => {
    const { child, open } = setup();
    child.alive = false;
    const a = open();
    a.port.receive(req(1, 'tools/list'));
    expect(a.sink.answers()[0]).toMatchObject({ id: 1, error: { code: -32000 } });
  });

  it('routes a server request to the port whose request is in flight, and only its answer back', () => {
    const { child, open } = setup();
    const a = open();
    const b = open();
    b.port.receive(req(5, 'tools/call', { name: 'sample' }));
    child.emit({ id: 'srv-1', method: 'sampling/createMessage', params: {} });
    expect(a.sink.got).toEqual([]);
    expect(b.sink.got[0]).toMatchObject({ m: { id: 'srv-1', method: 'sampling/createMessage' }, related: 5 });
    a.port.receive({ jsonrpc: '2.0', id: 'srv-1', result: { forged: true } } as JSONRPCMessage);
    expect(child.sent.some((m) => m.id === 'srv-1')).toBe(false);
    b.port.receive({ jsonrpc: '2.0', id: 'srv-1', result: { content: 'ok' } } as JSONRPCMessage);
    expect(child.sent.find((m) => m.id === 'srv-1')).toMatchObject({ result: { content: 'ok' } });
  });

  it('refuses a server request no client can carry, with an error to the child', () => {
    const { child, open } = setup();
    const a = open(new FakeSink(false));
    a.port.receive(req(1, 'tools/call'));
    child.emit({ id: 9, method: 'elicitation/create', params: {} });
    expect(child.sent.find((m) => m.id === 9)).toMatchObject({ error: { code: -32601 } });
  });

  it('answers the child for the server requests of a port that goes away', () => {
    const { child, open } = setup();
    const a = open();
    a.port.receive(req(1, 'tools/call'));
    child.emit({ id: 'srv-2', method: 'roots/list' });
    a.port.close();
    expect(child.sent.find((m) => m.id === 'srv-2')).toMatchObject({ error: { code: -32603 } });
    expect(child.last('notifications/cancelled').params).toMatchObject({ requestId: child.sent[0]?.id });
  });

  it('subscribes the child once per URI and tells only the subscribers of updates', () => {
    const { child, open } = setup();
    const a = open();
    const b = open();
    const c = open();
    a.port.receive(req(1, 'resources/subscribe', { uri: 'test://r' }));
    b.port.receive(req(1, 'resources/subscribe', { uri: 'test://r' }));
    expect(child.sent.filter((m) => m.method === 'resources/subscribe').length).toBe(1);
    expect(b.sink.answers()[0]).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    child.emit({ id: child.sent[0]?.id, result: {} });
    child.emit({ method: 'notifications/resources/updated', params: { uri: 'test://r' } });
    expect(a.sink.got.filter((g) => g.m.method).length).toBe(1);
    expect(b.sink.got.filter((g) => g.m.method).length).toBe(1);
    expect(c.sink.got).toEqual([]);
    a.port.receive(req(2, 'resources/unsubscribe', { uri: 'test://r' }));
    expect(child.sent.some((m) => m.method === 'resources/unsubscribe')).toBe(false);
    b.port.close();
    expect(child.own).toContainEqual({ method: 'resources/unsubscribe', params: { uri: 'test://r' } });
  });

  it('asks the child for the most verbose log level any port wants and filters per port', () => {
    const { child, open } = setup();
    const a = open();
    const b = open();
    a.port.receive(req(1, 'logging/setLevel', { level: 'error' }));
    expect(child.last('logging/setLevel').params).toEqual({ level: 'error' });
    b.port.receive(req(1, 'logging/setLevel', { level: 'debug' }));
    expect(child.last('logging/setLevel').params).toEqual({ level: 'debug' });
    for (const m of child.sent) child.emit({ id: m.id, result: {} });
    child.emit({ method: 'notifications/message', params: { level: 'info', data: 'x' } });
    child.emit({ method: 'notifications/message', params: { level: 'error', data: 'y' } });
    const logs = (s: FakeSink) => s.got.filter((g) => g.m.method === 'notifications/message').length;
    expect(logs(a.sink)).toBe(1);
    expect(logs(b.sink)).toBe(2);
  });

  it('sends list changes to every port', () => {
    const { child, open } = setup();
    const ports = [open(), open(), open()];
    child.emit({ method: 'notifications/tools/list_changed' });
    for (const p of ports) expect(p.sink.got[0]?.m.method).toBe('notifications/tools/list_changed');
  });

  it('refuses a second request with an id already in flight on the same port', () => {
    const { child, open } = setup();
    const a = open();
    a.port.receive(req(1, 'tools/call'));
    a.port.receive(req(1, 'tools/list'));
    expect(child.sent.length).toBe(1);
    expect(a.sink.answers()[0]).toMatchObject({ id: 1, error: { code: -32600 } });
  });

  it('repeats subscriptions and the log level to a restarted child', () => {
    const { child, relay, open } = setup();
    const a = open();
    a.port.receive(req(1, 'resources/subscribe', { uri: 'test://w' }));
    a.port.receive(req(2, 'logging/setLevel', { level: 'warning' }));
    relay.onRestarted();
    expect(child.own).toEqual([
      { method: 'resources/subscribe', params: { uri: 'test://w' } },
      { method: 'logging/setLevel', params: { level: 'warning' } },
    ]);
  });

  it('turns a server request into an input request for a modern client, and resumes on its retry', () => {
    const { child, relay, open } = setup();
    const first = open(new FakeSink(false, (method) => method === 'sampling/createMessage'));
    first.port.receive(req('m1', 'tools/call', { name: 'ask' }));
    const relayId = child.sent[0]?.id;
    child.emit({ id: 'srv-3', method: 'sampling/createMessage', params: { messages: [] } });
    const input = first.sink.answers()[0] as { result: { resultType: string; requestState: string } };
    expect(input.result.resultType).toBe('input_required');
    const retry = open(new FakeSink(false));
    const ok = relay.resume(input.result.requestState, retry.port, {
      jsonrpc: '2.0',
      id: 'm2',
      method: 'tools/call',
      params: { inputResponses: { 'input-1': { content: 'answer' } } },
    } as never);
    expect(ok).toBe(true);
    expect(child.sent.find((m) => m.id === 'srv-3')).toMatchObject({ result: { content: 'answer' } });
    child.emit({ id: relayId, result: { done: true } });
    expect(retry.sink.answers()[0]).toEqual({ jsonrpc: '2.0', id: 'm2', result: { done: true } });
    expect(relay.resume(input.result.requestState, retry.port, req('m3', 'tools/call') as never)).toBe(false);
  });

  it('keeps a thousand ports apart, answered in reverse order', () => {
    const { child, relay, open } = setup();
    const ports = Array.from({ length: 1000 }, () => open());
    for (const [i, p] of ports.entries())
      p.port.receive(req(1, 'tools/call', { name: 'echo', arguments: { i } }));
    expect(relay.inFlight).toBe(1000);
    for (const m of [...child.sent].reverse())
      child.emit({ id: m.id, result: { i: (m.params?.arguments as { i: number } | undefined)?.i } });
    for (const [i, p] of ports.entries())
      expect(p.sink.answers()).toEqual([{ jsonrpc: '2.0', id: 1, result: { i } }]);
    expect(relay.inFlight).toBe(0);
  });
});
