/** @module What the HTTP layer needs from the rest of the gateway (passed in, never imported as singletons). */
import type { Cluster } from '../cluster/cluster.js';
import type { Config } from '../config/config.js';
import type { McpEndpointDeps } from '../front/mcp-endpoint.js';
import type { McpSessions } from '../front/mcp-sessions.js';
import type { PermissionGuards } from '../front/permission-guard.js';
import type { PackageLauncher, ProcessMeta } from '../launch/package-launcher.js';
import type { AuditLog } from '../observability/audit-log.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import type { Authenticator } from '../policy/authenticator.js';
import type { AuthorizationServer } from '../policy/oauth/server/authorization-server.js';
import type { RateLimiter } from '../policy/rate-limiter.js';
import type { ToolPermissions } from '../policy/tool-permissions.js';
import type { Runtimes } from '../process/runtime-detect.js';
import type { Relays } from '../relay/relays.js';
import type { SandboxReport } from '../runtime/child-sandbox.js';
import type { ProcessManager } from '../runtime/process-manager.js';
import type { PackageStore } from '../store/package-store.js';
import type { ToolPins } from '../store/tool-pins.js';
import type { ToolsetStore } from '../store/toolset-store.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  launcher: PackageLauncher;
  processes: ProcessManager<ProcessMeta>;
  store: PackageStore;
  sessions: McpSessions;
  relays: Relays;
  /** The runtimes found at start-up (null while still probing). */
  runtimes: () => Runtimes | null;
  /** Who calls: API keys, OAuth access tokens, open registry or local operator. */
  auth: Authenticator;
  /** The built-in OAuth authorization server (OAUTH_BUILTIN), mounted under /oauth. */
  authorizationServer?: AuthorizationServer | undefined;
  /** Per-principal tool permissions (the rules, GET/PUT /permissions). */
  permissions: ToolPermissions;
  /** Tool pinning's memory: what each server showed first, and the changes held (GET /tool-changes). */
  pins: ToolPins;
  /** The toolsets admins defined (parameters sealed). */
  toolsets: ToolsetStore;
  /** The permissions at the ports and launches. */
  guards: PermissionGuards;
  /** How children are sandboxed and limited (for /health). */
  sandbox: SandboxReport;
  limiter: RateLimiter;
  /** The other instances (cluster mode) or this one alone. */
  cluster: Cluster;
  /** Security-relevant events (GET /audit, the dashboard). */
  audit: AuditLog;
  /** Spans, when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
  tracing: Tracing;
  startedAt: number;
}

/** What the MCP endpoints of the front need, the same for the hot path and Hono's routes. */
export function mcpEndpointDeps(deps: AppDeps): McpEndpointDeps {
  return {
    sessions: deps.sessions,
    relays: deps.relays,
    maxBodyBytes: deps.config.request.maxBodyBytes,
    keepAliveMs: deps.config.session.keepAliveMs,
    tracing: deps.tracing,
    guards: deps.guards,
  };
}
