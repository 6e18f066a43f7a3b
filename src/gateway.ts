/**
 * @module Composition root: builds every part of the gateway from a frozen Config and wires them together.
 * main.ts adds the HTTP listener and signals; tests use this directly.
 */

import { mkdirSync } from 'node:fs';
import type { createServer } from 'node:http';
import path from 'node:path';
import type { Hono } from 'hono';
import type { DestinationStream } from 'pino';
import type { Cluster } from './cluster/cluster.js';
import { FileHostSlots } from './cluster/host-slots.js';
import { type Config, ConfigError } from './config/config.js';
import { McpSessions } from './front/mcp-sessions.js';
import { PermissionGuards } from './front/permission-guard.js';
import { pinGuard, pinRefOf } from './front/pin-guard.js';
import { createApp } from './http/app.js';
import type { AppDeps } from './http/app-deps.js';
import { createFrontDoor, frontDoorServer } from './http/front-door.js';
import { PackageLauncher, type ProcessMeta } from './launch/package-launcher.js';
import { AuditLog } from './observability/audit-log.js';
import { childOutputLogs } from './observability/child-output-log.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { SecretRedactor } from './observability/secret-redactor.js';
import { Tracing } from './observability/tracing.js';
import { matchesName } from './policy/package-pattern.js';
import { RateLimiter } from './policy/rate-limiter.js';
import { InstanceDir } from './process/instance-dir.js';
import { OrphanReaper } from './process/orphan-reaper.js';
import { detectRuntimes, type Runtimes } from './process/runtime-detect.js';
import { withFileUrls } from './registry/file-fetch.js';
import { NpmDownloadsClient } from './registry/npm-downloads-client.js';
import { NpmRegistryClient } from './registry/npm-registry-client.js';
import { PackageResolver } from './registry/package-resolver.js';
import { PypiIndexes } from './registry/pypi-indexes.js';
import { PypiRegistryClient } from './registry/pypi-registry-client.js';
import { SigstoreTrust } from './registry/sigstore-trust.js';
import { registryJson, SupplyChainChecker } from './registry/supply-chain.js';
import { Relays } from './relay/relays.js';
import { ProcessManager } from './runtime/process-manager.js';
import { nodeHeapMb } from './runtime/resource-limits.js';
import { pythonForChildren } from './runtime/runtime-reach.js';
import { ProcessGroupSpawner } from './runtime/spawner.js';
import {
  childPassthrough,
  compileSecurity,
  detectSandbox,
  joinCluster,
  loadPermissions,
  logRotation,
} from './startup-checks.js';
import { PackageStore } from './store/package-store.js';
import { readInstallReport } from './store/python-installer.js';
import { SecretBox } from './store/secret-box.js';
import { ToolPins } from './store/tool-pins.js';
import { ToolsetStore } from './store/toolset-store.js';

/** How often what dead gateways left (run dirs, staging areas, cgroups) is swept, ms. */
const SWEEP_EVERY_MS = 5 * 60_000;

export interface Gateway {
  app: Hono;
  /** `http.createServer` with the hot path before Hono's listener: pass it to @hono/node-server's `serve`. */
  createServer: typeof createServer;
  config: Config;
  logger: Logger;
  processes: ProcessManager<ProcessMeta>;
  /** Resolves, checks and installs packages (the CLI's `install` uses it without launching). */
  launcher: PackageLauncher;
  sessions: McpSessions;
  cluster: Cluster;
  store: PackageStore;
  redactor: SecretRedactor;
  reaper: OrphanReaper;
  /** What the start line says: the sandbox, the memory limit's mechanism, whether API keys are needed. */
  summary(): { sandbox: string; memory: string; keys: 'on' | 'off' };
  /**
   * Waits (at most DRAIN_TIMEOUT_MS) until no request is being answered and no call is in flight to a
   * child; new sessions are still served meanwhile by whoever reaches this instance.
   */
  drain(): Promise<void>;
  /** Stops every child and timer (sessions end; in a cluster the instance leaves the directory). */
  shutdown(): Promise<void>;
}

export interface GatewayOptions {
  /** Where log lines go instead of stdout and the log files (tests). */
  logDestination?: DestinationStream;
  /** Where JSON log lines go besides the log files (default stdout). */
  logConsole?: 'stdout' | 'stderr' | 'none';
  /**
   * How the built-in authorization server fetches Client ID Metadata Documents (default: oidc-provider's
   * own fetch, which refuses special-use addresses); tests serve a client's document from here.
   */
  oauthFetch?: typeof fetch;
}

/** Builds and starts (store, timers, watchdog) a gateway; the caller serves `app`. */
export async function createGateway(config: Config, opts: GatewayOptions = {}): Promise<Gateway> {
  const passthrough = childPassthrough(config); // validated before anything starts
  const security = await compileSecurity(config, opts.oauthFetch);
  const permissions = loadPermissions(config.permissions.file);
  const redactor = new SecretRedactor();
  const rotation = logRotation(config);
  const logger = createLogger({
    level: config.log.level,
    dir: config.log.dir,
    rotation,
    redactor,
    destination: opts.logDestination,
    console: opts.logConsole,
  });
  const mask = (s: string) => redactor.mask(s);
  const audit = AuditLog.open(config.log.dir, rotation);
  const record = audit.record.bind(audit);
  if (security.warning) logger.warn({ openRegistry: true }, security.warning);
  let sessions: McpSessions | undefined;
  const cluster = await joinCluster(config, logger, () => sessions?.counts() ?? new Map());
  const limiter = new RateLimiter(config.rateLimit, cluster.rateStore);

  const otherUid = process.getuid?.() === 0 && config.sandbox.mode !== 'none';
  const py = await pythonForChildren(config.store.python, otherUid);
  if (py.note) logger.warn(py.note);
  // Children's private homes live in this gateway's own part of RUN_DIR; dead gateways' parts are swept.
  mkdirSync(config.process.runDir, { recursive: true });
  const runDir = await InstanceDir.claim(config.process.runDir);
  const { sandbox, memory } = await detectSandbox(config, logger, py.python, runDir.path);
  let runtimes: Runtimes | null = null;
  const probing = detectRuntimes(py.python, config.store.uv === 'auto').then((rt) => {
    runtimes = rt;
    logger.info(
      { npm: !!rt.npm, python: !!rt.python, venv: rt.pythonVenv, uv: !!rt.uv },
      'runtimes detected',
    );
    return rt;
  });

  const r = config.registry;
  const pypiIndexes = new PypiIndexes([
    new PypiRegistryClient(r.pypiIndexUrl, r.pypiJsonApiUrl, r.timeoutMs, withFileUrls()),
    ...r.pypiExtraIndexUrls.map((u) => new PypiRegistryClient(u, undefined, r.timeoutMs, withFileUrls())),
  ]);
  const reaper = new OrphanReaper();
  reaper.start();
  const supplyChain = new SupplyChainChecker({
    npmRegistryUrl: config.registry.npmUrl,
    fetchJson: registryJson('npm', config.registry.npmUrl, config.registry.timeoutMs),
    fetchPypiJson: registryJson('PyPI', config.registry.pypiIndexUrl, config.registry.timeoutMs),
    trust: new SigstoreTrust({
      trustedRootFile: config.trust.sigstoreTrustedRoot,
      tufUrl: config.trust.sigstoreTufUrl,
      cacheDir: path.join(config.store.dir, 'sigstore-tuf'),
      timeoutMs: config.registry.timeoutMs,
    }),
    pypiFile: (name, filename, sha256) => pypiIndexes.distFile(name, filename, sha256),
  });
  const store = new PackageStore({
    watch: reaper,
    dir: config.store.dir,
    maxBytes: config.store.maxBytes,
    installTimeoutMs: config.store.installTimeoutMs,
    installScriptsAllowlist: config.store.installScriptsAllowlist,
    npmRegistryUrl: config.registry.npmUrl,
    pypiIndexUrls: () => pypiIndexes.installUrls(),
    python: py.python,
    runtimes: () => probing,
    logger,
    verify: (ref, dir) =>
      ref.registry === 'npm'
        ? supplyChain.checkNpm(dir, ref.name)
        : readInstallReport(dir, ref.name).then((r) =>
            supplyChain.checkPypi(ref.name, r?.file, r?.packages ?? 0),
          ),
  });
  await store.init();
  const sweepLeftovers = async () => {
    const removed = await runDir.sweep();
    if (removed.length > 0) logger.info({ removed }, 'removed run directories of dead gateways');
    await store.sweep();
    const cgroups = await memory.sweep();
    if (cgroups > 0) logger.info({ cgroups }, 'removed cgroups of dead gateways');
  };
  await sweepLeftovers();
  const sweeper = setInterval(() => void sweepLeftovers(), SWEEP_EVERY_MS).unref();

  const processes = new ProcessManager<ProcessMeta>(
    { ...config.process, runDir: runDir.path },
    {
      spawner: new ProcessGroupSpawner(reaper, sandbox),
      headroom: () => memory.checkHeadroom(),
      logger,
      mask,
      clientInfo: { name: 'mcp-registry-server', version: config.server.version },
      hooks: {
        // Secrets are masked while a process lives; its package is published as in use (pruning by the
        // gateways sharing the store spares it).
        created: (m, processId) => {
          redactor.add(m.secrets);
          void store.markInUse(storeKeysInUse(m.storeKey));
          record({
            type: 'launch',
            principal: m.owner,
            package: m.packageName,
            version: m.version,
            processId,
            outcome: 'started',
          });
        },
        stopped: (m, processId, reason) =>
          record({
            type: 'stop',
            principal: m.owner,
            package: m.packageName,
            version: m.version,
            processId,
            detail: reason,
          }),
        removed: (m) => {
          redactor.remove(m.secrets);
          void store.markInUse(storeKeysInUse());
        },
      },
      // Workers sharing this host (cluster mode) share MAX_PROCESSES.
      ...(cluster.enabled
        ? {
            slots: new FileHostSlots(runDir, { address: () => cluster.self.address, secret: cluster.secret }),
          }
        : {}),
      outputLog: childOutputLogs(config.log.dir, rotation, mask),
    },
  );
  processes.startTimers();
  function storeKeysInUse(starting?: string): Set<string> {
    const keys = new Set(processes.list().map((p) => p.meta.storeKey));
    if (starting) keys.add(starting);
    return keys;
  }

  const resolver = new PackageResolver({
    clients: {
      npm: new NpmRegistryClient(r.npmUrl, r.timeoutMs),
      pypi: pypiIndexes,
    },
    downloads: new NpmDownloadsClient(r.npmDownloadsUrl, r.timeoutMs),
    quality: config.quality,
    cacheTtlMs: r.cacheTtlMs,
    logger,
  });
  const tracing = Tracing.fromEnv(process.env, config.server.version);
  if (tracing.enabled) logger.info('traces go to the OTLP endpoint of OTEL_EXPORTER_OTLP_ENDPOINT');
  const launcher = new PackageLauncher({
    resolver,
    store,
    processes,
    redactor,
    limits: { maxValueBytes: config.request.maxParamValueBytes, maxParams: config.request.maxParams },
    nodePath: process.execPath,
    systemPath: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    passthrough,
    nodeHeapMb: nodeHeapMb(config.sandbox),
    audit: record,
    tracing,
    gates: {
      policy: security.policy,
      permissions,
      chargeInstall: (owner, address) => limiter.install(owner, address),
      noNetwork: (registry, name) => security.noNetwork.some((p) => matchesName(p, registry, name)),
      supplyChain: security.supplyChain,
    },
  });
  const pins = new ToolPins(config.store.dir, config.trust.pinning, (held) =>
    record({
      type: 'tool.held',
      package: held.package,
      version: held.version,
      tool: `${held.kind}:${held.name}`,
      outcome: held.reason,
      detail: `${held.id}${held.findings.length ? ` flagged: ${[...new Set(held.findings.map((f) => f.rule))].join(', ')}` : ''}`,
    }),
  );
  const toolsets = new ToolsetStore(config.store.dir, SecretBox.forConfig(config.store));
  await toolsets.init();
  const relays = new Relays(processes, {
    gateFor: (meta) => (pins.mode === 'off' ? undefined : pinGuard(pins, pinRefOf(meta))),
    requestTimeoutMs: config.request.timeoutMs,
    logger,
    audit: record,
    tracing,
    ...(cluster.enabled ? { statePrefix: `${cluster.self.id}.` } : {}),
  });
  sessions = new McpSessions(
    {
      idleTimeoutMs: config.session.idleTimeoutMs,
      maxBodyBytes: config.request.maxBodyBytes,
      eventStoreSize: config.session.eventStoreSize,
      keepAliveMs: config.session.keepAliveMs,
      maxPerOwner: config.rateLimit.maxSessionsPerKey,
    },
    processes,
    logger,
    { newId: () => cluster.newSessionId(), counter: cluster.sessionCounter, audit: record },
  );
  sessions.startTimers();
  const metrics = createMetrics(
    () => processes.activeCount(),
    cluster.enabled
      ? {
          forwarded: () => ({ out: cluster.counters.forwardedOut, in: cluster.counters.forwardedIn }),
          redisUp: () => Number(cluster.available),
        }
      : undefined,
  );
  const appDeps: AppDeps = {
    config,
    logger,
    metrics,
    launcher,
    processes,
    store,
    sessions,
    relays,
    runtimes: () => runtimes,
    auth: security.auth,
    authorizationServer: security.authorizationServer,
    permissions,
    pins,
    toolsets,
    guards: new PermissionGuards(permissions),
    sandbox: sandbox.report,
    limiter,
    cluster,
    audit,
    tracing,
    startedAt: Date.now(),
  };
  const app = createApp(appDeps);
  const frontDoor = await createFrontDoor(appDeps);
  const live = sessions;
  try {
    await cluster.start(
      app.fetch,
      () => ({ processes: processes.activeCount(), sessions: live.size }),
      frontDoorServer(frontDoor.wrapForwarded),
    );
  } catch (err) {
    throw new ConfigError(
      `CLUSTER_ADDRESS: cannot listen on ${config.cluster.address} (${(err as Error).message}).`,
    );
  }

  return {
    app,
    createServer: frontDoorServer(frontDoor.wrap),
    config,
    logger,
    processes,
    launcher,
    store,
    redactor,
    reaper,
    sessions,
    cluster,
    summary: () => ({
      sandbox: sandbox.report.mode,
      memory: sandbox.report.limits.memory.mechanism,
      keys: security.auth.keys.size > 0 ? 'on' : 'off',
    }),
    async drain() {
      cluster.draining = true;
      const until = Date.now() + config.cluster.drainMs;
      const busy = () =>
        cluster.counters.inFlight > 0 || processes.list().some(({ process: p }) => p.inFlight > 0);
      while (busy() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      logger.info({ drained: !busy() }, busy() ? 'drain timed out; ending what is in flight' : 'drained');
    },
    async shutdown() {
      await live.shutdown();
      await cluster.stop();
      clearInterval(sweeper);
      await processes.shutdown();
      await store.close();
      await runDir.release();
      await memory.close();
      await audit.close();
      await tracing.shutdown();
      reaper.stop();
      security.authorizationServer?.close();
      await pins.settled();
    },
  };
}
