/**
 * @module Stateful MCP sessions (Streamable HTTP, 2025 eras): one SDK server transport and one owned
 * child per session. Session ids are random UUIDs; an unknown or ended id answers 404 so the client
 * re-initializes (spec 2025-11-25 basic/transports "Session Management"). Idle sessions expire.
 */
import { randomUUID } from 'node:crypto';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../observability/logger.js';
import type { ProcessMeta } from '../runtime/package-launcher.js';
import type { LaunchRequest, ProcessManager } from '../runtime/process-manager.js';
import { BoundedEventStore } from './bounded-event-store.js';
import { ExchangeRouter } from './exchange-router.js';
import { LegacySseTransport } from './legacy-sse-transport.js';
import { type ClientTransport, SessionBridge } from './session-bridge.js';
import type { SharedMultiplexer } from './shared-multiplexer.js';
import { SharedSessionBridge } from './shared-session-bridge.js';

export interface McpSessionSettings {
  idleTimeoutMs: number;
  requestTimeoutMs: number;
  maxBodyBytes: number;
  /** Events kept per session for Last-Event-ID resumption. */
  eventStoreSize: number;
  keepAliveMs: number;
  /** Concurrent sessions one owner (API key) may hold. */
  maxPerOwner: number;
}

/** A session over Streamable HTTP (2025 eras) or the legacy HTTP+SSE transport (2024-11-05). */
export type SessionTransport =
  | { kind: 'streamable'; transport: WebStandardStreamableHTTPServerTransport }
  | { kind: 'sse'; transport: LegacySseTransport };

export interface McpSession {
  id: string;
  channel: SessionTransport;
  bridge: { close(): void };
  /** Sends each answer to the transport that carried its request (per-request JSON/SSE) or the session. */
  router: ExchangeRouter;
  /** isolated: the session owns its child; shared: it uses the configuration's shared child. */
  mode: 'isolated' | 'shared';
  processId: string;
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
  ) {
    // A session whose child is gone (stopped, idle, DELETEd) is gone too: never listed, 404 for its client.
    processes.onGone((processId) => {
      for (const s of this.sessions.values())
        if (s.processId === processId) void this.end(s.id, 'its server was stopped');
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

  get size(): number {
    return this.sessions.size;
  }

  /** Every live session as operators see it (no secrets). */
  list(): Array<{
    id: string;
    transport: SessionTransport['kind'];
    mode: McpSession['mode'];
    processId: string;
    packageName: string;
    owner: string;
    createdAt: number;
    lastActivity: number;
  }> {
    return [...this.sessions.values()].map((s) => ({
      id: s.id,
      transport: s.channel.kind,
      mode: s.mode,
      processId: s.processId,
      packageName: s.packageName,
      owner: s.owner,
      createdAt: s.createdAt,
      lastActivity: s.lastActivity,
    }));
  }

  /** Creates a Streamable HTTP session with a child of its own (a warm spare when one is ready). */
  createStreamable(
    req: LaunchRequest<ProcessMeta>,
    path: string,
    shared?: SharedMultiplexer,
  ): Promise<McpSession> {
    return this.create(req, path, shared, async (id) => {
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

  /** Creates a legacy SSE session; `endpointFor(id)` is the URL its client POSTs to. */
  createSse(req: LaunchRequest<ProcessMeta>, path: string, shared?: SharedMultiplexer): Promise<McpSession> {
    return this.create(req, path, shared, async (id) => {
      const transport = new LegacySseTransport(`${path}?sessionId=${id}`, this.s.keepAliveMs);
      transport.onclose = () => void this.end(id, 'the client closed its event stream');
      return { kind: 'sse', transport };
    });
  }

  /** Opens the transport and binds it to a child of its own, or to the shared child when `shared` is given. */
  private async create(
    req: LaunchRequest<ProcessMeta>,
    path: string,
    shared: SharedMultiplexer | undefined,
    open: (id: string) => Promise<SessionTransport>,
  ): Promise<McpSession> {
    const owner = req.meta.owner;
    const held = [...this.sessions.values()].filter((s) => s.owner === owner).length;
    if (held >= this.s.maxPerOwner)
      throw new GatewayError('SESSION_LIMIT_REACHED', `This key already holds ${held} sessions.`, {
        limit: this.s.maxPerOwner,
      });
    const id = randomUUID();
    const process = shared ? shared.process : (await this.processes.claim(req, id)).process;
    const channel = await open(id);
    const router = new ExchangeRouter(channel.transport);
    const transport: ClientTransport = router;
    const bridge = shared
      ? new SharedSessionBridge(transport, shared)
      : new SessionBridge(transport, process, {
          requestTimeoutMs: this.s.requestTimeoutMs,
          logger: this.logger,
        });
    const session: McpSession = {
      id,
      channel,
      router,
      bridge,
      mode: shared ? 'shared' : 'isolated',
      processId: process.id,
      packageName: req.meta.packageName,
      owner,
      path,
      createdAt: Date.now(),
      lastActivity: Date.now(),
    };
    this.sessions.set(id, session);
    this.logger.info(
      { sessionId: id, processId: process.id, transport: channel.kind, mode: session.mode },
      'MCP session started',
    );
    return session;
  }

  /** Ends a session and stops its child. */
  async end(id: string, reason: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    session.bridge.close();
    await session.channel.transport.close().catch(() => undefined);
    if (session.mode === 'isolated')
      await this.processes.release(session.processId, `session ended: ${reason}`);
    this.logger.info({ sessionId: id, reason }, 'MCP session ended');
  }

  /** Ends sessions idle past the timeout, and sessions whose child failed for good. */
  async sweep(now = Date.now()): Promise<void> {
    const stale = [...this.sessions.values()].filter((s) => {
      const status = this.processes.get(s.processId)?.process.status;
      return now - s.lastActivity > this.s.idleTimeoutMs || status === undefined || status === 'failed';
    });
    await Promise.all(stale.map((s) => this.end(s.id, 'idle or its server is gone')));
  }

  async shutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.end(id, 'gateway shutdown')));
  }
}
