/**
 * @module A toolset's hub: the servers of a toolset behind one client attachment. For each client port it
 * opens a port of its own on every server's relay, so each server's relay does what it does for any
 * client (id and progress-token rewriting, timeouts, cancellation, subscriptions, log levels, the
 * principal's tool permissions and the toolset's tool filter at the port, tool pinning at the relay).
 * The hub adds only the names: requests that name a tool, prompt or resource go to its server with the
 * alias taken off; lists are merged under the aliases (toolset-lists.ts); server requests, logs and
 * resource updates come back under the alias; `initialize` and 2026-07-28 `server/discover` answer the
 * merged identity. A modern client's `requestState` carries the alias after a dot (the cluster's prefix
 * stays in front).
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { JsonRpcCode } from '../protocol/rpc-errors.js';
import { initializeResultOf } from '../relay/relay-identity.js';
import {
  Port,
  type PortGuard,
  type PortHost,
  type PortSink,
  type RequestId,
  type RpcError,
} from '../relay/relay-port.js';
import type { ServerIdentity } from '../runtime/managed-process.js';
import { FIND_TOOLS, FIND_TOOLS_NAME, findTools, searchArgs } from './tool-search.js';
import { type Answer, type ListSource, mergedList } from './toolset-lists.js';
import { joinName, LISTS, notServed, routeOf, shapeResult, splitName } from './toolset-names.js';

/** A server of the toolset: its alias, its relay, and its ports' guard (permissions and tool filter). */
export interface HubMember {
  alias: string;
  host: PortHost;
  guard?: PortGuard | undefined;
}

type Request = JSONRPCMessage & { id: RequestId; method: string; params?: Record<string, unknown> };
type Params = Record<string, unknown>;

/** A server's port for one client port. */
interface MemberPort {
  readonly member: HubMember;
  port: Port;
}

/** A client request in flight; `out` moves to the client's own stream when its HTTP exchange goes away. */
interface InFlight {
  out: PortSink;
  target?: MemberPort;
  memberId?: RequestId;
}

const keyOf = (id: RequestId): string => (typeof id === 'number' ? `#${id}` : `$${id}`);

/** One client port's side of the hub. */
class Link {
  readonly members = new Map<string, MemberPort>();
  readonly inflight = new Map<string, InFlight>();
  /** Server requests sent to the client, by the id the client saw. */
  readonly asked = new Map<string, { target: MemberPort; id: RequestId }>();
  /** Tools find_tools found (listed from then on). */
  readonly found = new Set<string>();
  private next = 0;
  constructor(readonly port: Port) {}
  nextId(): number {
    return ++this.next;
  }
}

export class ToolsetHub implements PortHost {
  private readonly links = new Map<Port, Link>();
  private seq = 1;

  constructor(
    private readonly members: HubMember[],
    readonly identity: ServerIdentity,
    private readonly o: { toolSearch: boolean; onListError?: (alias: string, error: RpcError) => void },
  ) {}

  open(sink: PortSink, guard?: PortGuard): Port {
    const port = new Port(this, sink, this.seq++, guard);
    const link = new Link(port);
    for (const member of this.members) {
      const target = { member } as MemberPort;
      const own: PortSink = {
        carriesServerRequests: sink.carriesServerRequests,
        deliver: (m) => {
          const out = link.port.closed ? undefined : this.toClient(link, target, m);
          if (out) link.port.sink.deliver(out);
        },
      };
      target.port = member.host.open(own, member.guard);
      link.members.set(member.alias, target);
    }
    this.links.set(port, link);
    return port;
  }

  fromClient(port: Port, m: JSONRPCMessage, reply?: PortSink): void {
    const link = this.links.get(port);
    if (!link || port.closed) return;
    port.lastActivity = Date.now();
    if ('method' in m && 'id' in m) this.request(link, m as Request, reply ?? port.sink);
    else if ('method' in m) this.notification(link, m as Request);
    else this.serverRequestAnswered(link, m);
  }

  /** The client's answer to a server request: back to the server that asked, under its own id. */
  private serverRequestAnswered(link: Link, m: JSONRPCMessage): void {
    const id = 'id' in m ? String(m.id) : '';
    const asked = link.asked.get(id);
    if (!asked) return;
    link.asked.delete(id);
    asked.target.member.host.fromClient(asked.target.port, { ...m, id: asked.id } as JSONRPCMessage);
  }

  isInFlight(port: Port, id: RequestId): boolean {
    return !!this.links.get(port)?.inflight.has(keyOf(id));
  }

  closePort(port: Port): void {
    const link = this.links.get(port);
    this.links.delete(port);
    // Each server's relay cancels what is in flight there and answers the client's waiting exchanges.
    for (const target of link?.members.values() ?? []) target.port.close();
  }

  detachReply(port: Port, clientId: RequestId, reply: PortSink): void {
    const ex = this.links.get(port)?.inflight.get(keyOf(clientId));
    if (ex?.out === reply) ex.out = port.sink;
  }

  resume(requestState: string, port: Port, request: Request, reply?: PortSink): boolean {
    const link = this.links.get(port);
    const dot = requestState.lastIndexOf('.');
    const target = dot > 0 ? link?.members.get(requestState.slice(dot + 1)) : undefined;
    if (!link || !target) return false;
    const state = requestState.slice(0, dot);
    const params = { ...(routeOf(request.method, request.params)?.target?.params ?? request.params) };
    params.requestState = state;
    const { memberId, sink } = this.track(link, request, reply ?? port.sink, target);
    if (target.member.host.resume(state, target.port, { ...request, id: memberId, params }, sink))
      return true;
    this.settle(link, request.id);
    return false;
  }

  listenTo(port: Port, uri: string): void {
    const split = splitName(uri);
    const target = split && this.links.get(port)?.members.get(split.alias);
    if (!split || !target || target.member.guard?.refuse('resources/subscribe', { uri: split.rest })) return;
    target.member.host.listenTo(target.port, split.rest);
  }

  private request(link: Link, m: Request, out: PortSink): void {
    const now = this.answerNow(link, m);
    const work = now ? undefined : this.localWork(link, m);
    if (now) out.deliver({ jsonrpc: '2.0', id: m.id, ...now } as JSONRPCMessage, m.id);
    else if (work) this.local(link, m, out, work);
    else this.relayTo(link, m, out);
  }

  /** What the hub answers at once: a reused id, a refusal, initialize and ping. */
  private answerNow(link: Link, m: Request): Answer | undefined {
    if (link.inflight.has(keyOf(m.id)))
      return {
        error: { code: JsonRpcCode.InvalidRequest, message: 'Invalid Request: this id is already in flight' },
      };
    const refused = link.port.guard?.refuse(m.method, m.params);
    if (refused) return { error: refused };
    if (m.method === 'initialize') return { result: initializeResultOf(this.identity, m.params) };
    if (m.method === 'ping') return { result: {} };
    return undefined;
  }

  /** What the hub answers after asking the servers: lists, the log level, find_tools. */
  private localWork(link: Link, m: Request): (() => Promise<Answer>) | undefined {
    if (LISTS[m.method]) return () => this.list(link, m);
    if (m.method === 'logging/setLevel') return () => this.setLevel(link, m);
    if (m.method === 'tools/call' && this.o.toolSearch && m.params?.name === FIND_TOOLS_NAME)
      return () => this.find(link, m);
    return undefined;
  }

  /** A request that names a tool, prompt or resource: to its server, the alias taken off. */
  private relayTo(link: Link, m: Request, out: PortSink): void {
    const route = routeOf(m.method, m.params);
    const target = route?.target && link.members.get(route.target.alias);
    if (!route?.target || !target) {
      const error = notServed(m.method, route?.named);
      out.deliver({ jsonrpc: '2.0', id: m.id, error } as JSONRPCMessage, m.id);
      return;
    }
    const { memberId, sink } = this.track(link, m, out, target);
    const relayed = { ...m, id: memberId, params: route.target.params } as JSONRPCMessage;
    target.member.host.fromClient(target.port, relayed, sink);
  }

  /** Records a request relayed to `target`; its answer and what relates to it come back through `sink`. */
  private track(link: Link, m: Request, out: PortSink, target: MemberPort) {
    const clientId = m.id;
    const memberId = link.nextId();
    const ex: InFlight = { out, target, memberId };
    link.inflight.set(keyOf(clientId), ex);
    link.port.pending++;
    const alias = target.member.alias;
    const sink: PortSink = {
      get carriesServerRequests() {
        return ex.out.carriesServerRequests;
      },
      get span() {
        return ex.out.span;
      },
      acceptsInputRequest: (method) => !!ex.out.acceptsInputRequest?.(method, clientId),
      deliver: (msg) => {
        if (!('result' in msg || 'error' in msg)) {
          const note = this.toClient(link, target, msg);
          if (note) ex.out.deliver(note, clientId);
          return;
        }
        if (link.inflight.get(keyOf(clientId)) !== ex) return; // cancelled meanwhile
        this.settle(link, clientId);
        const shaped = 'result' in msg ? { result: shapeResult(alias, m.method, msg.result) } : {};
        ex.out.deliver({ ...msg, ...shaped, id: clientId } as JSONRPCMessage, clientId);
      },
    };
    return { memberId, sink };
  }

  private settle(link: Link, clientId: RequestId): void {
    if (link.inflight.delete(keyOf(clientId))) link.port.pending--;
  }

  /** A request the hub answers itself after asking the servers (lists, log level, find_tools). */
  private local(link: Link, m: Request, out: PortSink, work: () => Promise<Answer>): void {
    const ex: InFlight = { out };
    link.inflight.set(keyOf(m.id), ex);
    link.port.pending++;
    void work().then((a) => {
      if (link.inflight.get(keyOf(m.id)) !== ex) return; // cancelled, or the client went away
      this.settle(link, m.id);
      ex.out.deliver({ jsonrpc: '2.0', id: m.id, ...a } as JSONRPCMessage, m.id);
    });
  }

  /** Asks one server on the link's port for it (its guard and the relay's gate shape the answer). */
  private ask(link: Link, target: MemberPort, method: string, params: Params): Promise<Answer> {
    if (target.port.closed)
      return Promise.resolve({
        error: { code: JsonRpcCode.ServerUnavailable, message: 'The session ended.' },
      });
    const id = `hub-${link.nextId()}`;
    return new Promise((resolve) => {
      const sink: PortSink = {
        carriesServerRequests: false,
        deliver: (msg) => {
          if ('result' in msg) resolve({ result: msg.result as Params });
          else if ('error' in msg) resolve({ error: msg.error as RpcError });
        },
      };
      target.member.host.fromClient(
        target.port,
        { jsonrpc: '2.0', id, method, params } as JSONRPCMessage,
        sink,
      );
    });
  }

  private sources(link: Link): ListSource[] {
    return [...link.members.values()].map((target) => ({
      alias: target.member.alias,
      identity: target.member.host.identity,
      ask: (method, params) => this.ask(link, target, method, params),
    }));
  }

  private async list(link: Link, m: Request): Promise<Answer> {
    if (m.params?.cursor !== undefined)
      return {
        error: {
          code: JsonRpcCode.InvalidParams,
          message: 'Invalid params: a toolset lists everything at once; this cursor is unknown',
        },
      };
    const merged = await mergedList(this.sources(link), m.method, (alias, error) =>
      this.o.onListError?.(alias, error),
    );
    if (m.method !== 'tools/list' || !this.o.toolSearch || 'error' in merged) return merged;
    const tools = merged.result.tools as Array<{ name: string }>;
    return { result: { tools: [FIND_TOOLS, ...tools.filter((t) => link.found.has(t.name))] } };
  }

  private async find(link: Link, m: Request): Promise<Answer> {
    const args = searchArgs(m.params?.arguments);
    if ('invalid' in args)
      return { result: { isError: true, content: [{ type: 'text', text: args.invalid }] } };
    const merged = await mergedList(this.sources(link), 'tools/list', (alias, error) =>
      this.o.onListError?.(alias, error),
    );
    if ('error' in merged) return merged;
    const matches = findTools(merged.result.tools as never, args.query, args.limit);
    const before = link.found.size;
    for (const t of matches) link.found.add(t.name);
    if (link.found.size > before)
      queueMicrotask(() => {
        if (!link.port.closed)
          link.port.sink.deliver({
            jsonrpc: '2.0',
            method: 'notifications/tools/list_changed',
          } as JSONRPCMessage);
      });
    const text = matches.length
      ? matches.map((t) => `${t.name}: ${t.description ?? ''}`.trim()).join('\n')
      : 'No tool matches; try other words.';
    return { result: { content: [{ type: 'text', text }], structuredContent: { tools: matches } } };
  }

  /** logging/setLevel reaches every server that logs (each relay keeps this client's level). */
  private async setLevel(link: Link, m: Request): Promise<Answer> {
    const targets = [...link.members.values()].filter((t) => t.member.host.identity.capabilities?.logging);
    const answers = await Promise.all(targets.map((t) => this.ask(link, t, m.method, m.params ?? {})));
    const failed = answers.find((a): a is { error: RpcError } => 'error' in a);
    return failed && answers.every((a) => 'error' in a) ? failed : { result: {} };
  }

  /** A client notification: cancellations to the server doing the work; anything else to every server. */
  private notification(link: Link, m: Request): void {
    if (m.method === 'notifications/initialized') return;
    if (m.method === 'notifications/cancelled') {
      const requestId = m.params?.requestId as RequestId | undefined;
      const ex = requestId === undefined ? undefined : link.inflight.get(keyOf(requestId));
      if (!ex || requestId === undefined) return;
      this.settle(link, requestId);
      if (ex.target)
        ex.target.member.host.fromClient(ex.target.port, {
          ...m,
          params: { ...m.params, requestId: ex.memberId },
        } as JSONRPCMessage);
      return;
    }
    for (const t of link.members.values()) t.member.host.fromClient(t.port, m);
  }

  /** A server's message for the client (not an answer): under its alias, server requests re-numbered. */
  private toClient(link: Link, target: MemberPort, m: JSONRPCMessage): JSONRPCMessage | undefined {
    if (!('method' in m)) return undefined;
    const alias = target.member.alias;
    const params = ('params' in m ? m.params : undefined) as Params | undefined;
    if ('id' in m) {
      const id = `${alias}-${link.nextId()}`;
      link.asked.set(id, { target, id: m.id as RequestId });
      return { ...m, id } as JSONRPCMessage;
    }
    if (m.method === 'notifications/resources/updated')
      return { ...m, params: { ...params, uri: joinName(alias, String(params?.uri)) } } as JSONRPCMessage;
    if (m.method === 'notifications/message') {
      const logger = typeof params?.logger === 'string' ? joinName(alias, params.logger) : alias;
      return { ...m, params: { ...params, logger } } as JSONRPCMessage;
    }
    if (m.method === 'notifications/cancelled') {
      const entry = [...link.asked].find(([, a]) => a.target === target && a.id === params?.requestId);
      if (!entry) return undefined;
      link.asked.delete(entry[0]);
      return { ...m, params: { ...params, requestId: entry[0] } } as JSONRPCMessage;
    }
    return m;
  }
}
