/**
 * @module Stateful MCP sessions (Streamable HTTP and legacy SSE, the 2025 eras). A session is a port on a
 * child's relay, not a process: by default the sessions of one principal, configuration and client
 * profile share that configuration's child; `isolated` sessions get a child of their own. Session ids
 * are random UUIDs; an unknown or ended id answers 404 so the client re-initializes (spec 2025-11-25
 * basic/transports "Session Management"). Idle sessions expire; at a principal's session limit its
 * least recently active idle session gives way.
 */
import { randomUUID } from 'node:crypto';
import { type JSONRPCMessage, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { SessionCounter } from '../cluster/cluster-types.js';
import { MemorySessionCounter } from '../cluster/memory-state.js';
import { rpcCodeOf } from '../errors/error-response.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { AuditSink } from '../observability/audit-log.js';
import type { Logger } from '../observability/logger.js';
import { JsonRpcCode } from '../protocol/rpc-errors.js';
import { type ClientProfile, profileOf } from '../protocol/versions.js';
import type { ProcessManager } from '../runtime/process-manager.js';
import type { ProcessMeta } from '../runtime/process-meta.js';
import { BoundedEventStore } from './bounded-event-store.js';
import { LegacySseTransport } from './legacy-sse-transport.js';
import { SessionPort } from './session-port.js';
import type { SessionBinding, SessionMode, SessionTarget } from './session-target.js';

export interface McpSessionSettings {
  idleTimeoutMs: number;
  maxBodyBytes: number;
  /** Events kept per session for Last-Event-ID resumption. */
  eventStoreSize: number;
  keepAliveMs: number;
  /** Sessions one principal may hold; at the limit its least recently active idle one is ended. */
  maxPerOwner: number;
}

/** Where sessions get their ids and are counted (cluster/: in memory, or across the cluster in Redis). */
export interface SessionSharing {
  /** A new session id (in a cluster it names this instance, so any instance finds the owner). */
  newId: () => string;
  counter: SessionCounter;
  /** Where sessions opened and closed are recorded (the audit log). */
  audit?: AuditSink;
}

/** A session over Streamable HTTP (2025 eras) or the legacy HTTP+SSE transport (2024-11-05). */
export type SessionTransport =
  | { kind: 'streamable'; transport: WebStandardStreamableHTTPServerTransport }
  | { kind: 'sse'; transport: LegacySseTransport };

export interface McpSession {
  id: string;
  channel: SessionTransport;
  /** The session's port on its child's relay; routes answers to the transport that carried each request. */
  port: SessionPort;
  mode: SessionMode;
  /** The children serving it (one, or a toolset's); none until a legacy SSE session's initialize. */
  processIds: string[];
  /** What it serves: a package name, or `toolset:<name>`. */
  packageName: string;
  /** The principal that created it; any other caller gets 404 for it. */
  owner: string;
  /**
   * The package URL path it was created on: it is served there only, so a session id cannot carry a
   * client past a path-based control (a proxy rule, the package policy) onto another package.
   */
  path: string;
  createdAt: number;
  lastActivity: number;
}

export class McpSessions {
  private readonly sessions = new Map<string, McpSession>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly s: McpSessionSettings,
    private readonly processes: ProcessManager<ProcessMeta>,
    private readonly logger: Logger,
    private readonly sharing: SessionSharing = { newId: randomUUID, counter: new MemorySessionCounter() },
  ) {
    // A session whose child is gone (stopped, idle, reclaimed) is gone too: never listed, 404 for its client.
    processes.onGone((processId) => {
      for (const s of this.sessions.values())
        if (s.processIds.includes(processId)) void this.end(s.id, 'its server was stopped');
    });
  }

  startTimers(): void {
    const every = Math.max(50, Math.min(this.s.idleTimeoutMs / 4, 60_000));
    this.sweeper = setInterval(() => void this.sweep(), every).unref();
  }

  /**
   * The live session with this id (touched), or undefined, also when `owner` did not create it or it
   * belongs to another package path: a session id is never a credential, so such a session looks
   * unknown.
   */
  get(id: string, owner: string, path?: string): McpSession | undefined {
    const session = this.sessions.get(id);
    if (!session || session.owner !== owner) return undefined;
    if (path !== undefined && session.path !== path) return undefined;
    session.lastActivity = Date.now();
    return session;
  }

  /** True when a session with this id lives here (whoever holds it). */
  has(id: string): boolean {
    return this.sessions.has(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** How many sessions each principal holds here. */
  counts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of this.sessions.values()) out.set(s.owner, (out.get(s.owner) ?? 0) + 1);
    return out;
  }

  /** Every live session as operators see it (no secrets). */
  list(): Array<{
    id: string;
    transport: SessionTransport['kind'];
    mode: SessionMode;
    processId: string;
    processIds: string[];
    packageName: string;
    owner: string;
    createdAt: number;
    lastActivity: number;
  }> {
    return [...this.sessions.values()].map((s) => ({
      id: s.id,
      transport: s.channel.kind,
      mode: s.mode,
      processId: s.processIds[0] ?? '',
      processIds: s.processIds,
      packageName: s.packageName,
      owner: s.owner,
      createdAt: s.createdAt,
      lastActivity: s.lastActivity,
    }));
  }

  /** Creates a Streamable HTTP session for a client whose initialize asked for `profile`. */
  createStreamable(
    target: SessionTarget,
    path: string,
    mode: SessionMode,
    profile: ClientProfile,
  ): Promise<McpSession> {
    return this.create(target, path, mode, profile, async (id) => {
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => id,
        onsessionclosed: () => void this.end(id, 'closed by the client (DELETE)'),
        eventStore: new BoundedEventStore(this.s.eventStoreSize),
        maxRequestBodySize: this.s.maxBodyBytes,
        keepAliveMs: this.s.keepAliveMs,
      });
      await transport.start();
      return { kind: 'streamable', transport };
    });
  }

  /** Creates a legacy SSE session; its child is picked when its initialize arrives. */
  createSse(target: SessionTarget, path: string, mode: SessionMode): Promise<McpSession> {
    return this.create(target, path, mode, undefined, async (id) => {
      const transport = new LegacySseTransport(`${path}?sessionId=${id}`, this.s.keepAliveMs);
      transport.onclose = () => void this.end(id, 'the client closed its event stream');
      return { kind: 'sse', transport };
    });
  }

  private async create(
    target: SessionTarget,
    path: string,
    mode: SessionMode,
    profile: ClientProfile | undefined,
    open: (id: string) => Promise<SessionTransport>,
  ): Promise<McpSession> {
    await this.makeRoomFor(target.owner);
    const id = this.sharing.newId();
    let binding: SessionBinding | undefined;
    let channel: SessionTransport;
    try {
      // Bound before the transport opens, so a launch failure is the HTTP answer and leaves nothing behind.
      binding = profile ? await target.bind(profile, id, mode) : undefined;
      channel = await open(id);
    } catch (err) {
      this.sharing.counter.release(target.owner);
      if (binding && mode === 'isolated') await this.releaseAll(binding.processIds, 'its session failed');
      throw err;
    }
    const port = new SessionPort(channel.transport, this.logger);
    const session: McpSession = {
      id,
      channel,
      port,
      mode,
      processIds: binding?.processIds ?? [],
      packageName: target.label,
      owner: target.owner,
      path,
      createdAt: Date.now(),
      lastActivity: Date.now(),
    };
    if (binding) port.bind(binding.host, binding.guard);
    else port.onUnbound = (m) => void this.bindAtInitialize(session, target, m);
    this.sessions.set(id, session);
    this.logger.info(
      { sessionId: id, processIds: session.processIds, transport: channel.kind, mode },
      'MCP session started',
    );
    this.sharing.audit?.({
      type: 'session.open',
      principal: session.owner,
      package: session.packageName,
      ...(target.version ? { version: target.version } : {}),
      sessionId: id,
      ...(session.processIds.length ? { processId: session.processIds.join(',') } : {}),
      detail: `${channel.kind}, ${mode}`,
    });
    return session;
  }

  private releaseAll(processIds: string[], reason: string): Promise<unknown> {
    return Promise.all(processIds.map((p) => this.processes.release(p, reason)));
  }

  /** A legacy session's first message: its initialize picks the child (any other is an error). */
  private async bindAtInitialize(session: McpSession, target: SessionTarget, m: JSONRPCMessage) {
    const id = 'id' in m ? m.id : undefined;
    const fail = (message: string, data?: unknown, code: number = JsonRpcCode.InvalidRequest) => {
      if (id !== undefined)
        void session.channel.transport
          .send({ jsonrpc: '2.0', id, error: { code, message, data } } as JSONRPCMessage)
          .catch(() => undefined);
      void this.end(session.id, message);
    };
    if (!('method' in m) || m.method !== 'initialize')
      return fail('Invalid Request: the first message of a session must be initialize');
    try {
      const binding = await target.bind(profileOf(m.params), session.id, session.mode);
      if (!this.sessions.has(session.id)) {
        if (session.mode === 'isolated') await this.releaseAll(binding.processIds, 'its session ended');
        return;
      }
      session.processIds = binding.processIds;
      session.port.bind(binding.host, binding.guard);
    } catch (err) {
      const e = err instanceof GatewayError ? err : undefined;
      fail(
        e?.message ?? (err as Error).message,
        e ? { code: e.code, ...e.details } : undefined,
        e ? rpcCodeOf(e.code) : JsonRpcCode.InternalError,
      );
    }
  }

  /**
   * Keeps `owner` under its session limit (counted across the cluster): at the limit, its least recently
   * active session here with nothing in flight gives way (its client gets 404 and re-initializes).
   * @throws GatewayError SESSION_LIMIT_REACHED when none can; CLUSTER_UNAVAILABLE (the count is shared).
   */
  private async makeRoomFor(owner: string): Promise<void> {
    for (;;) {
      const { ok, held } = await this.sharing.counter.acquire(owner, this.s.maxPerOwner);
      if (ok) return;
      const victim = [...this.sessions.values()]
        .filter((s) => s.owner === owner && s.port.pending === 0)
        .sort((a, b) => a.lastActivity - b.lastActivity)[0];
      if (!victim)
        throw new GatewayError('SESSION_LIMIT_REACHED', `All ${held} sessions of this key are busy.`, {
          limit: this.s.maxPerOwner,
        });
      await this.end(victim.id, 'reclaimed at the session limit (least recently active)');
    }
  }

  /** Ends a session; an isolated session's child stops with it. */
  async end(id: string, reason: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    this.sharing.counter.release(session.owner);
    session.port.close();
    await session.channel.transport.close().catch(() => undefined);
    if (session.mode === 'isolated') await this.releaseAll(session.processIds, `session ended: ${reason}`);
    this.logger.info({ sessionId: id, reason }, 'MCP session ended');
    this.sharing.audit?.({
      type: 'session.close',
      principal: session.owner,
      package: session.packageName,
      sessionId: id,
      detail: reason,
    });
  }

  /** Ends every session `which` picks. */
  async endWhere(which: (s: McpSession) => boolean, reason: string): Promise<void> {
    const picked = [...this.sessions.values()].filter(which);
    await Promise.all(picked.map((s) => this.end(s.id, reason)));
  }

  /** Ends sessions idle past the timeout, and sessions whose child failed for good. */
  async sweep(now = Date.now()): Promise<void> {
    const stale = [...this.sessions.values()].filter((s) => {
      if (now - s.lastActivity > this.s.idleTimeoutMs) return true;
      return s.processIds.some((p) => {
        const status = this.processes.get(p)?.process.status;
        return status === undefined || status === 'failed';
      });
    });
    await Promise.all(stale.map((s) => this.end(s.id, 'idle or its server is gone')));
  }

  async shutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.end(id, 'gateway shutdown')));
  }
}
