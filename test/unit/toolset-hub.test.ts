/**
 * A toolset's hub over two relays of fake children (no processes, no sockets): names under aliases,
 * merged lists and identity, routed calls, progress, cancellation, server requests, resources, change
 * notifications, a failing server, the tool filter, multi round-trip state and tool search.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { findTools, searchArgs } from '../../src/front/tool-search.js';
import { bothGuards, toolFilter } from '../../src/front/toolset-filter.js';
import { type HubMember, ToolsetHub } from '../../src/front/toolset-hub.js';
import { keepHub, keptHub } from '../../src/front/toolset-hub-cache.js';
import { mergedIdentity, routeOf, splitName } from '../../src/front/toolset-names.js';
import { Relay } from '../../src/relay/relay.js';
import type { RequestId } from '../../src/relay/relay-port.js';
import type { Relays } from '../../src/relay/relays.js';
import { FakeChild, FakeSink, type Msg } from '../support/fake-child.js';

const req = (id: RequestId, method: string, params: Record<string, unknown> = {}) =>
  ({ jsonrpc: '2.0', id, method, params }) as JSONRPCMessage;
const toolNames = (m: Msg | undefined) =>
  ((m?.result as { tools?: Array<{ name: string }> } | undefined)?.tools ?? []).map((t) => t.name);
const settled = () => new Promise((r) => setImmediate(r));

function setup(o: { toolSearch?: boolean } = {}) {
  const a = new FakeChild('child-a');
  const b = new FakeChild('child-b');
  b.identity = {
    protocolVersion: '2025-03-26',
    capabilities: { tools: {}, prompts: {}, resources: { subscribe: true } } as never,
    serverInfo: { name: 'b', version: '2' },
    instructions: 'B says hi',
  } as never;
  const members: HubMember[] = [
    {
      alias: 'a',
      host: new Relay(a, { requestTimeoutMs: 60_000 }),
      guard: toolFilter({ alias: 'a', tools: ['echo', 'p*'] }),
    },
    { alias: 'b', host: new Relay(b, { requestTimeoutMs: 60_000 }) },
  ];
  const identity = mergedIdentity(
    { name: 'ts', version: '9.9.9' },
    members.map((m) => ({ alias: m.alias, identity: m.host.identity })),
    { toolSearch: !!o.toolSearch, unavailable: [{ alias: 'c', reason: 'SERVER_START_FAILED: exited' }] },
  );
  const hub = new ToolsetHub(members, identity, { toolSearch: !!o.toolSearch });
  const sink = new FakeSink();
  const port = hub.open(sink);
  return { a, b, hub, sink, port };
}

/** Answers the child's newest request of `method` with `result`. */
const answer = (child: FakeChild, method: string, result: unknown) =>
  child.emit({ id: child.last(method).id, result });

describe('toolset names', () => {
  it('splits at the first separator and routes what requests name', () => {
    expect(splitName('ev__get__sum')).toEqual({ alias: 'ev', rest: 'get__sum' });
    expect(splitName('__x')).toBeUndefined();
    expect(routeOf('tools/call', { name: 'ev__echo', arguments: {} })).toEqual({
      named: 'ev__echo',
      target: { alias: 'ev', params: { name: 'echo', arguments: {} } },
    });
    expect(
      routeOf('completion/complete', { ref: { type: 'ref/resource', uri: 'b__t://{id}' } })?.target,
    ).toEqual({ alias: 'b', params: { ref: { type: 'ref/resource', uri: 't://{id}' } } });
    expect(routeOf('tools/list', {})).toBeUndefined();
  });

  it('finds tools by words, names first, and checks its arguments', () => {
    const tools = [
      { name: 'a__read_file', description: 'Reads a file', inputSchema: { type: 'object' as const } },
      {
        name: 'a__weather',
        description: 'Forecast for a city, read aloud',
        inputSchema: { type: 'object' as const },
      },
    ];
    expect(findTools(tools, ['read'], 10).map((t) => t.name)).toEqual(['a__read_file', 'a__weather']);
    expect(findTools(tools, ['forecast'], 10).map((t) => t.name)).toEqual(['a__weather']);
    expect(searchArgs({ query: '  ' })).toHaveProperty('invalid');
    expect(searchArgs({ query: 'x', limit: 500 })).toHaveProperty('invalid');
  });

  it('joins guards so both hold', () => {
    const filter = toolFilter({ alias: 'a', tools: ['echo'] });
    const deny = { refuse: () => ({ code: 1, message: 'no' }), shape: (_m: string, r: unknown) => r };
    expect(bothGuards(undefined, filter)).toBe(filter);
    expect(bothGuards(deny, filter)?.refuse('tools/call', { name: 'echo' })).toEqual({
      code: 1,
      message: 'no',
    });
  });
});

describe('ToolsetHub', () => {
  it('answers initialize with one identity made of its servers', () => {
    const { port, sink } = setup();
    port.receive(req(0, 'initialize', { protocolVersion: '2025-06-18', capabilities: {} }));
    const result = sink.answer(0)?.result as Record<string, any>;
    expect(result.serverInfo).toEqual({ name: 'toolset:ts', version: '9.9.9' });
    expect(result.protocolVersion).toBe('2025-03-26'); // what both servers speak
    expect(result.capabilities).toEqual({
      tools: { listChanged: true },
      prompts: { listChanged: false },
      resources: { listChanged: false, subscribe: true },
      logging: {},
    });
    expect(result.instructions).toContain('[b] B says hi');
    expect(result.instructions).toContain('[c] unavailable now: SERVER_START_FAILED');
  });

  it('merges lists under the aliases, with the tool filter applied', async () => {
    const { a, b, port, sink } = setup();
    port.receive(req(1, 'tools/list'));
    answer(a, 'tools/list', { tools: [{ name: 'echo' }, { name: 'get_env' }, { name: 'progress' }] });
    answer(b, 'tools/list', { tools: [{ name: 'x' }], nextCursor: 'p2' });
    await settled(); // the next page is asked once the first is in
    expect(b.last('tools/list').params).toEqual({ cursor: 'p2' });
    answer(b, 'tools/list', { tools: [{ name: 'y' }] });
    await settled();
    expect(toolNames(sink.answer(1))).toEqual(['a__echo', 'a__progress', 'b__x', 'b__y']);
    expect(sink.answer(1)?.result).not.toHaveProperty('nextCursor');
    port.receive(req(2, 'prompts/list'));
    expect(a.sent.filter((m) => m.method === 'prompts/list')).toEqual([]); // a offers no prompts
    answer(b, 'prompts/list', { prompts: [{ name: 'greet' }] });
    await settled();
    expect(sink.answer(2)?.result).toEqual({ prompts: [{ name: 'b__greet' }] });
  });

  it('leaves a failing server out of a list, and fails only when all fail', async () => {
    const { a, b, port, sink } = setup();
    port.receive(req(1, 'tools/list'));
    a.emit({ id: a.last('tools/list').id, error: { code: -32603, message: 'boom' } });
    answer(b, 'tools/list', { tools: [{ name: 'x' }] });
    await settled();
    expect(sink.answer(1)?.result).toEqual({ tools: [{ name: 'b__x' }] });
    port.receive(req(2, 'tools/list'));
    a.emit({ id: a.last('tools/list').id, error: { code: -32603, message: 'boom' } });
    b.emit({ id: b.last('tools/list').id, error: { code: -32603, message: 'bang' } });
    await settled();
    expect(sink.answer(2)?.error).toMatchObject({ message: 'boom' });
  });

  it('routes a call to its server without the alias and answers under the client id', () => {
    const { a, b, port, sink } = setup();
    port.receive(req('c1', 'tools/call', { name: 'a__echo', arguments: { text: 'hi' } }));
    expect(b.sent).toEqual([]);
    const got = a.last('tools/call');
    expect(got.params).toMatchObject({ name: 'echo', arguments: { text: 'hi' } });
    a.emit({ id: got.id, result: { content: [{ type: 'text', text: 'hi' }] } });
    expect(sink.answer('c1')?.result).toEqual({ content: [{ type: 'text', text: 'hi' }] });
    expect(port.pending).toBe(0);
  });

  it('refuses calls of tools it does not serve before any server hears them', () => {
    const { a, b, port, sink } = setup();
    port.receive(req(1, 'tools/call', { name: 'a__get_env' })); // outside a's filter
    port.receive(req(2, 'tools/call', { name: 'zz__echo' }));
    port.receive(req(3, 'tools/call', { name: 'echo' }));
    port.receive(req(4, 'resources/read', { uri: 'nowhere' }));
    port.receive(req(5, 'tasks/list'));
    expect([...a.sent, ...b.sent]).toEqual([]);
    expect(sink.answer(1)?.error).toMatchObject({
      code: -32602,
      message: expect.stringContaining('a__get_env'),
    });
    expect(sink.answer(2)?.error).toMatchObject({ code: -32602 });
    expect(sink.answer(3)?.error).toMatchObject({ code: -32602 });
    expect(sink.answer(4)?.error).toMatchObject({ code: -32002 });
    expect(sink.answer(5)?.error).toMatchObject({ code: -32601 });
  });

  it('carries progress and cancellation through', () => {
    const { a, port, sink } = setup();
    port.receive(req(7, 'tools/call', { name: 'a__progress', _meta: { progressToken: 'tok' } }));
    const sent = a.last('tools/call');
    const childToken = (sent.params?._meta as { progressToken?: string } | undefined)?.progressToken;
    a.emit({ method: 'notifications/progress', params: { progressToken: childToken, progress: 1 } });
    expect(sink.got.at(-1)).toEqual({
      m: { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'tok', progress: 1 } },
      related: 7,
    });
    port.receive({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 7 },
    } as JSONRPCMessage);
    expect(a.last('notifications/cancelled').params?.requestId).toBe(sent.id);
    a.emit({ id: sent.id, result: {} });
    expect(sink.answer(7)).toBeUndefined();
    expect(port.pending).toBe(0);
  });

  it('passes a server request to the client under an id of its own, and the answer back', () => {
    const { a, port, sink } = setup();
    port.receive(req(1, 'tools/call', { name: 'a__echo' }));
    a.emit({ id: 'srv-1', method: 'sampling/createMessage', params: { messages: [] } });
    const asked = sink.got.at(-1);
    expect(asked?.m).toMatchObject({ method: 'sampling/createMessage', id: 'a-2' });
    expect(asked?.related).toBe(1);
    port.receive({
      jsonrpc: '2.0',
      id: 'a-2',
      result: { content: { type: 'text', text: 'ok' } },
    } as JSONRPCMessage);
    expect(a.sent.at(-1)).toMatchObject({ id: 'srv-1', result: { content: { text: 'ok' } } });
  });

  it('names resources under the alias, in reads, subscriptions and updates', () => {
    const { b, port, sink } = setup();
    port.receive(req(1, 'resources/read', { uri: 'b__test://x' }));
    const read = b.last('resources/read');
    expect(read.params).toEqual({ uri: 'test://x' });
    b.emit({ id: read.id, result: { contents: [{ uri: 'test://x', text: 'X' }] } });
    expect(sink.answer(1)?.result).toEqual({ contents: [{ uri: 'b__test://x', text: 'X' }] });
    port.receive(req(2, 'resources/subscribe', { uri: 'b__test://x' }));
    b.emit({ id: b.last('resources/subscribe').id, result: {} });
    b.emit({ method: 'notifications/resources/updated', params: { uri: 'test://x' } });
    expect(sink.notes('notifications/resources/updated')).toEqual([
      { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'b__test://x' } },
    ]);
  });

  it('passes list changes and logs on, logs under the alias', () => {
    const { a, port, sink } = setup();
    port.receive(req(1, 'logging/setLevel', { level: 'info' }));
    answer(a, 'logging/setLevel', {});
    a.emit({ method: 'notifications/tools/list_changed' });
    a.emit({ method: 'notifications/message', params: { level: 'info', data: 'x' } });
    expect(sink.notes('notifications/tools/list_changed')).toHaveLength(1);
    expect(sink.notes('notifications/message')[0]?.params).toEqual({ level: 'info', data: 'x', logger: 'a' });
  });

  it('ends what is in flight when the client goes away', () => {
    const { a, port, sink } = setup();
    port.receive(req(1, 'tools/call', { name: 'a__echo' }));
    const sent = a.last('tools/call');
    port.close();
    expect(a.last('notifications/cancelled').params?.requestId).toBe(sent.id);
    expect(sink.answer(1)?.error).toMatchObject({ code: -32000 });
  });

  it('names the server in a modern requestState and resumes there', () => {
    const { a, hub } = setup();
    const first = new FakeSink(false, () => true);
    const port = hub.open(first);
    port.receive(req('m1', 'tools/call', { name: 'a__echo' }));
    a.emit({ id: 'srv-9', method: 'elicitation/create', params: { message: 'sure?' } });
    const input = first.answer('m1')?.result as { resultType: string; requestState: string };
    expect(input.resultType).toBe('input_required');
    expect(input.requestState).toMatch(/\.a$/);
    const retry = new FakeSink(false, () => true);
    const again = hub.open(retry);
    const ok = hub.resume(input.requestState, again, {
      ...req('m2', 'tools/call', {
        name: 'a__echo',
        requestState: input.requestState,
        inputResponses: { 'input-1': { action: 'accept' } },
      }),
    } as never);
    expect(ok).toBe(true);
    expect(a.sent.at(-1)).toEqual({ jsonrpc: '2.0', id: 'srv-9', result: { action: 'accept' } });
    a.emit({ id: a.last('tools/call').id, result: { content: [] } });
    expect(retry.answer('m2')?.result).toEqual({ content: [] });
    expect(hub.resume('unknown.a', again, req('m3', 'tools/call') as never)).toBe(false);
  });

  it('with tool search, lists find_tools, then what it found', async () => {
    const { a, b, port, sink } = setup({ toolSearch: true });
    port.receive(req(1, 'tools/list'));
    answer(a, 'tools/list', { tools: [{ name: 'echo', description: 'Echoes text' }] });
    answer(b, 'tools/list', { tools: [{ name: 'weather', description: 'Forecast' }] });
    await settled();
    expect(toolNames(sink.answer(1))).toEqual(['find_tools']);
    port.receive(req(2, 'tools/call', { name: 'find_tools', arguments: { query: 'forecast' } }));
    answer(a, 'tools/list', { tools: [{ name: 'echo', description: 'Echoes text' }] });
    answer(b, 'tools/list', { tools: [{ name: 'weather', description: 'Forecast' }] });
    await settled();
    expect(sink.answer(2)?.result).toMatchObject({
      structuredContent: { tools: [{ name: 'b__weather', description: 'Forecast' }] },
    });
    expect(sink.notes('notifications/tools/list_changed')).toHaveLength(1);
    port.receive(req(3, 'tools/list'));
    answer(a, 'tools/list', { tools: [{ name: 'echo' }] });
    answer(b, 'tools/list', { tools: [{ name: 'weather' }] });
    await settled();
    expect(toolNames(sink.answer(3))).toEqual(['find_tools', 'b__weather']);
  });
});

describe('kept hubs of stateless toolset requests', () => {
  const make = () => {
    const child = new FakeChild('child-k');
    const relay = new Relay(child, { requestTimeoutMs: 60_000 });
    const serving = new Map<string, Relay>([[child.id, relay]]);
    const relays = { get: (id: string) => serving.get(id) } as unknown as Relays;
    const hub = {} as ToolsetHub;
    const guard = { refuse: () => undefined, shape: (_m: string, r: unknown) => r };
    keepHub(relays, 'k', { hub, relays: [relay], guards: [guard] });
    return { child, relay, serving, relays, hub, guard };
  };

  it('serves a kept hub while its relays serve and the guards are the same', () => {
    const { relays, hub, guard } = make();
    expect(keptHub(relays, 'k', () => guard)).toBe(hub);
    expect(keptHub(relays, 'other', () => guard)).toBeUndefined();
  });

  it('forgets it when a relay no longer serves its child, or a guard changed or refuses', () => {
    const a = make();
    a.serving.clear();
    expect(keptHub(a.relays, 'k', () => a.guard)).toBeUndefined();
    a.serving.set(a.child.id, a.relay);
    expect(keptHub(a.relays, 'k', () => a.guard)).toBeUndefined(); // forgotten for good
    const b = make();
    expect(keptHub(b.relays, 'k', () => undefined)).toBeUndefined();
    const c = make();
    expect(
      keptHub(c.relays, 'k', () => {
        throw new Error('POLICY_DENIED');
      }),
    ).toBeUndefined();
  });
});
