/** A child as the relay sees it, without a process: it records what it is sent and emits what a test says. */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { RelayChild } from '../../src/relay/relay.js';
import type { PortSink, RequestId } from '../../src/relay/relay-port.js';
import type { ProcessClient } from '../../src/runtime/managed-process.js';

export type Msg = Record<string, unknown> & {
  id?: RequestId;
  method?: string;
  params?: Record<string, unknown>;
};

export class FakeChild implements RelayChild {
  readonly status = 'running';
  identity = {
    protocolVersion: '2025-06-18',
    capabilities: { tools: { listChanged: true }, resources: { subscribe: true }, logging: {} },
    serverInfo: { name: 'fake', version: '1.0.0' },
  };
  client: ProcessClient | null = null;
  readonly sent: Msg[] = [];
  readonly own: Array<{ method: string; params?: Record<string, unknown> }> = [];
  alive = true;

  constructor(readonly id = 'fake-1') {}

  attach(client: ProcessClient | null): void {
    this.client = client;
  }
  send(m: JSONRPCMessage): boolean {
    if (this.alive) this.sent.push(m as Msg);
    return this.alive;
  }
  request(method: string, params?: Record<string, unknown>): Promise<unknown> {
    this.own.push({ method, params });
    return Promise.resolve({});
  }
  /** The child sends `m`. */
  emit(m: Msg): void {
    this.client?.onMessage({ jsonrpc: '2.0', ...m } as JSONRPCMessage);
  }
  /** The last request the child received with `method`. */
  last(method: string): Msg {
    const m = [...this.sent].reverse().find((x) => x.method === method);
    if (!m) throw new Error(`the child never got ${method}`);
    return m;
  }
}

/** A client attachment that records what it is sent. */
export class FakeSink implements PortSink {
  readonly got: Array<{ m: Msg; related?: RequestId }> = [];
  constructor(
    readonly carriesServerRequests = true,
    readonly acceptsInputRequest?: (method: string, related: RequestId) => boolean,
  ) {}
  deliver(m: JSONRPCMessage, related?: RequestId): void {
    this.got.push({ m: m as Msg, related });
  }
  answers(): Msg[] {
    return this.got.map((g) => g.m).filter((m) => 'result' in m || 'error' in m);
  }
  /** The answer to request `id`, if any. */
  answer(id: RequestId): Msg | undefined {
    return this.answers().find((m) => m.id === id);
  }
  /** The notifications of `method` received. */
  notes(method: string): Msg[] {
    return this.got.map((g) => g.m).filter((m) => m.method === method);
  }
}
