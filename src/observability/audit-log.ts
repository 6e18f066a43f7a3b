/**
 * @module The audit log: one JSON line per security-relevant event (launches, installs, stops, sessions
 * opened and closed, tool calls, refused keys, policy and cross-site refusals, sign-ins and consents
 * at the built-in authorization server) in `<log dir>/audit.log`,
 * rotated and private like the other logs. Tool calls name the tool, never its arguments. The latest
 * events are kept in memory too (read back from the file at start), for GET /audit and the dashboard.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { type Rotation, rotatingFile } from './logger.js';

export type AuditType =
  | 'launch'
  | 'install'
  | 'stop'
  | 'session.open'
  | 'session.close'
  | 'tool.call'
  | 'auth.refused'
  | 'policy.refused'
  | 'browser.refused'
  | 'permissions.change'
  | 'oauth.signin'
  | 'oauth.consent'
  | 'tool.held'
  | 'tool.approved'
  | 'tool.rejected'
  | 'toolset.change';

/** One event. Never an argument value, a key or a secret parameter. */
export interface AuditEvent {
  /** ISO 8601 time. */
  at: string;
  type: AuditType;
  /** Who: an API key id, `local`, `anonymous:<address>`; absent for callers that were not identified. */
  principal?: string;
  /** The client address (refusals). */
  address?: string;
  package?: string;
  version?: string;
  processId?: string;
  sessionId?: string;
  tool?: string;
  /** ok, error, a GatewayError code, cancelled, reused, started … */
  outcome?: string;
  ms?: number;
  /** Why (a stop's reason, a refusal's message, a refused origin). */
  detail?: string;
}

/** Records an event (the time is added). */
export type AuditSink = (event: Omit<AuditEvent, 'at'>) => void;

export interface AuditQuery {
  principal?: string;
  /** A package name, with or without `@version`. */
  package?: string;
  type?: string;
  /** Only events at or after this time, ms since the epoch. */
  since?: number;
  /** Most recent first, at most this many (default 200). */
  limit?: number;
}

/** Events kept in memory for queries. */
const KEPT = 10_000;
/** Lines are written together at most this often, ms (a tool call each: one write per call would cost). */
const FLUSH_MS = 100;

export class AuditLog {
  /** A ring of the latest KEPT events; `next` is where the next one goes. */
  private readonly recent: AuditEvent[] = [];
  private next = 0;
  private pending: string[] = [];
  private flushTimer: NodeJS.Timeout | undefined;

  /** `file`: where lines go (none: memory only, e.g. LOG_DIR=off). */
  constructor(private readonly file?: Writable) {}

  /** The audit log in `dir` (undefined: memory only), with the latest events of an earlier run. */
  static open(dir: string | undefined, rotation: Rotation): AuditLog {
    if (!dir) return new AuditLog();
    const log = new AuditLog(rotatingFile(dir, 'audit.log', rotation));
    let text = '';
    try {
      text = readFileSync(path.join(dir, 'audit.log'), 'utf8');
    } catch {
      // a first start
    }
    for (const line of text.split('\n').slice(-KEPT)) {
      try {
        if (line) log.keep(JSON.parse(line) as AuditEvent);
      } catch {
        // a line cut by a crash
      }
    }
    return log;
  }

  /** Records an event (time added). */
  record(event: Omit<AuditEvent, 'at'>): void {
    const full = { at: new Date().toISOString(), ...event } as AuditEvent;
    this.keep(full);
    if (!this.file) return;
    this.pending.push(`${JSON.stringify(full)}\n`);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
  }

  /** Writes the lines recorded since the last flush, in one write. */
  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    this.file?.write(this.pending.join(''));
    this.pending = [];
  }

  private keep(e: AuditEvent): void {
    if (this.recent.length < KEPT) this.recent.push(e);
    else this.recent[this.next] = e;
    this.next = (this.next + 1) % KEPT;
  }

  /** The i-th most recent event (0: the latest). */
  private nthLatest(i: number): AuditEvent {
    const n = this.recent.length;
    return this.recent[(this.next - 1 - i + n * 2) % n] as AuditEvent;
  }

  /** The events matching `q`, most recent first. */
  query(q: AuditQuery = {}): AuditEvent[] {
    const limit = Math.min(Math.max(q.limit ?? 200, 1), KEPT);
    const [name, version] = splitSpec(q.package);
    const out: AuditEvent[] = [];
    for (let i = 0; i < this.recent.length && out.length < limit; i++) {
      const e = this.nthLatest(i);
      if (q.since !== undefined && Date.parse(e.at) < q.since) break;
      if (q.principal !== undefined && e.principal !== q.principal) continue;
      if (q.type !== undefined && e.type !== q.type) continue;
      if (name !== undefined && (e.package !== name || (version !== undefined && e.version !== version)))
        continue;
      out.push(e);
    }
    return out;
  }

  /** Closes the file (shutdown). */
  close(): Promise<void> {
    this.flush();
    return new Promise((resolve) => (this.file ? this.file.end(() => resolve()) : resolve()));
  }
}

/** `name@version` (scoped names keep their leading @) as [name, version]. */
function splitSpec(spec: string | undefined): [string | undefined, string | undefined] {
  if (!spec) return [undefined, undefined];
  const at = spec.lastIndexOf('@');
  return at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
}
