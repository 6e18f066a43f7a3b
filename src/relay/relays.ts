/**
 * @module The relay of every child that serves clients, by process id. A configuration's shared child
 * (one per principal, configuration and client profile) serves every session and stateless request of
 * that principal; an isolated session claims a child of its own. A relay ends with its child.
 */
import type { AuditSink } from '../observability/audit-log.js';
import type { Logger } from '../observability/logger.js';
import type { Tracing } from '../observability/tracing.js';
import type { ClientProfile } from '../protocol/versions.js';
import type { ManagedProcess } from '../runtime/managed-process.js';
import { type LaunchRequest, type ProcessManager, profiled } from '../runtime/process-manager.js';
import { type ProcessMeta, packageOf } from '../runtime/process-meta.js';
import { Relay } from './relay.js';
import type { PortGuard } from './relay-port.js';

/** Configurations whose shared relay is remembered for stateless requests (the oldest is forgotten first). */
const MAX_REMEMBERED = 2000;

export class Relays {
  private readonly byProcess = new Map<string, Relay>();
  /** Stateless requests' shared relays, by principal and configuration (see `sharedFor`). */
  private readonly byConfig = new Map<string, Relay>();

  constructor(
    private readonly processes: ProcessManager<ProcessMeta>,
    private readonly o: {
      requestTimeoutMs: number;
      logger: Logger;
      statePrefix?: string;
      audit?: AuditSink;
      tracing?: Tracing;
      /** The relay-wide guard of a child (tool pinning), from what the gateway knows of it. */
      gateFor?: (meta: ProcessMeta) => PortGuard | undefined;
    },
  ) {
    processes.onGone((processId, notice) => {
      const relay = this.byProcess.get(processId);
      this.byProcess.delete(processId);
      relay?.detach(notice?.message ?? 'The MCP server was stopped.', notice?.data);
    });
  }

  /** The relay of a process (created on first use). */
  of(process: ManagedProcess): Relay {
    let relay = this.byProcess.get(process.id);
    if (!relay) {
      const meta = this.processes.get(process.id)?.meta;
      const audit = this.o.audit;
      const gate = meta && this.o.gateFor?.(meta);
      relay = new Relay(process, {
        ...this.o,
        ...(meta ? { package: packageOf(meta) } : {}),
        ...(gate ? { gate } : {}),
        ...(audit && meta
          ? {
              onToolCall: (call) =>
                audit({
                  type: 'tool.call',
                  principal: meta.owner,
                  package: meta.packageName,
                  version: meta.version,
                  processId: process.id,
                  tool: call.tool,
                  outcome: call.outcome,
                  ms: call.ms,
                }),
            }
          : {}),
      });
      this.byProcess.set(process.id, relay);
    }
    return relay;
  }

  get(processId: string): Relay | undefined {
    return this.byProcess.get(processId);
  }

  /** The relay of the child this principal's clients of `profile` share (started when needed). */
  async shared(req: LaunchRequest<ProcessMeta>, profile?: ClientProfile): Promise<Relay> {
    const { process } = await this.processes.acquire(profiled(req, profile));
    this.processes.markShared(process.id);
    return this.of(process);
  }

  /**
   * The shared relay for a stateless request of configuration `key` (principal, package URL and
   * configuration headers): the relay an earlier request of the same key got, while its child runs, so a
   * stateless request repeats no preparation (parse, policy, env mapping, resolution, store checks) and
   * asks the process manager nothing. Otherwise `prepare` runs and the relay is remembered. Policy and
   * settings are compiled once at start-up, so while the child runs nothing can change the answer.
   */
  async sharedFor(key: string, prepare: () => Promise<LaunchRequest<ProcessMeta>>): Promise<Relay> {
    const hit = this.byConfig.get(key);
    if (hit && this.byProcess.get(hit.child.id) === hit && hit.child.status === 'running') return hit;
    const relay = await this.shared(await prepare());
    this.byConfig.delete(key);
    this.byConfig.set(key, relay);
    if (this.byConfig.size > MAX_REMEMBERED)
      this.byConfig.delete(this.byConfig.keys().next().value as string);
    return relay;
  }

  /** The relay of a child of `owner`'s own (a warm spare when one is ready). */
  async own(req: LaunchRequest<ProcessMeta>, owner: string, profile?: ClientProfile): Promise<Relay> {
    const { process } = await this.processes.claim(profiled(req, profile), owner);
    return this.of(process);
  }
}
