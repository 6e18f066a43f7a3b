/**
 * @module Serves a package request end to end: validate the spec and parameters (before any network),
 * resolve and quality-check the package, install it once, then launch or reuse its process.
 */

import path from 'node:path';
import { GatewayError } from '../errors/gateway-error.js';
import type { AuditSink } from '../observability/audit-log.js';
import type { SecretRedactor } from '../observability/secret-redactor.js';
import { endSpan, SpanKind, type TraceCarrier, type Tracing } from '../observability/tracing.js';
import type { PackagePolicy } from '../policy/package-policy.js';
import type { Principal } from '../policy/principal.js';
import type { SupplyChainPolicy } from '../policy/supply-chain-policy.js';
import type { ToolPermissions } from '../policy/tool-permissions.js';
import type { PackageResolver } from '../registry/package-resolver.js';
import type { QualityReport } from '../registry/quality-check.js';
import type { SupplyChain } from '../registry/supply-chain.js';
import { type EnvLimits, mapParamsToEnv } from '../runtime/env-mapping.js';
import { buildChildEnv, buildCommand, configurationKey } from '../runtime/launch-plan.js';
import type { ServerIdentity } from '../runtime/managed-process.js';
import { type LaunchRequest, type ProcessManager, profiled } from '../runtime/process-manager.js';
import { type ProcessMeta, settingsKeyOf } from '../runtime/process-meta.js';
import { maskArgs, secretArgValues } from '../runtime/secret-args.js';
import { maskEnv, secretEnvValues } from '../runtime/secret-values.js';
import { splitArgs } from '../runtime/split-args.js';
import { parsePackageSpec, type RegistryKind } from '../spec/package-spec.js';
import type { PackagePath } from '../spec/request-path.js';
import type { PackageStore } from '../store/package-store.js';

/** What a process is, as listings and answers show it (never a secret value). */
export type { ProcessMeta };

export interface LaunchAnswer {
  success: true;
  processId: string;
  packageName: string;
  packageType: RegistryKind;
  version: string;
  requestedVersion: string;
  protocol: string;
  status: string;
  startTime: number;
  reused: boolean;
  message: string;
  connectionInfo: ProcessMeta['connectionInfo'];
  quality: QualityReport;
  /** What the supply-chain check found at install (null: installed before it existed). */
  supplyChain: SupplyChain | null;
  server: ServerIdentity;
}

/**
 * The configuration a request carries: query parameters and configuration headers (`X-MCP-Env-NAME`
 * becomes NAME, `X-MCP-Args` becomes args), as name/value pairs.
 */
export interface RequestConfig {
  query: ReadonlyArray<[string, string]>;
  headers: ReadonlyArray<[string, string]>;
  /**
   * Who asks: the principal (its id owns what starts; an admin's processes may take a non-admin's room
   * at the limit, even a busy one; its tool permissions decide which packages it may use) and the
   * client address (rate limits).
   */
  caller: { principal: Principal; address: string };
  /** Told each step of preparing and starting the package (install progress for clients that watch). */
  progress?: (step: LaunchStep) => void;
  /** The W3C trace context the request came with (its launch span joins that trace). */
  trace?: TraceCarrier | undefined;
}

/** A step of getting a package ready, as clients watching the install see it. */
export type LaunchStep =
  | { step: 'resolving'; spec: string }
  | { step: 'resolved'; registry: string; name: string; version: string; quality: QualityReport }
  | { step: 'installing'; name: string; version: string }
  | { step: 'output'; line: string }
  | { step: 'installed'; ms: number }
  | { step: 'cached' }
  | { step: 'starting' }
  | { step: 'initialized'; server: { name?: string; version?: string } | undefined; ms: number }
  | { step: 'reused' };

/** Gates a request passes on its way to a process: package policy and install budget. */
export interface LaunchGates {
  policy: PackagePolicy;
  /** Per-principal tool permissions: a package no rule grants the caller is refused before installing. */
  permissions?: ToolPermissions;
  /** Charges an install (a version not in the store yet). @throws GatewayError RATE_LIMITED */
  chargeInstall(owner: string, address: string): Promise<void>;
  /** True when the sandbox must cut this package's network. */
  noNetwork(registry: RegistryKind, name: string): boolean;
  /** What the supply chain must show (SUPPLY_CHAIN, SUPPLY_CHAIN_RULES). */
  supplyChain: SupplyChainPolicy;
}

export interface PackageLauncherDeps {
  resolver: PackageResolver;
  store: PackageStore;
  processes: ProcessManager<ProcessMeta>;
  redactor: SecretRedactor;
  limits: EnvLimits;
  nodePath: string;
  systemPath: string;
  /** Operator-chosen gateway variables every child gets (CHILD_ENV_PASSTHROUGH). */
  passthrough: Readonly<Record<string, string>>;
  gates: LaunchGates;
  /** V8 heap limit for Node servers, MiB (undefined: none). */
  nodeHeapMb?: number | undefined;
  /** Where installs are recorded (the audit log). */
  audit?: AuditSink;
  /** Spans of launches and installs (tracing on). */
  tracing?: Tracing;
}

/** A short, readable slug of a package name for process ids. */
export function slug(name: string): string {
  return (
    name
      .replace(/^@/, '')
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .toLowerCase() || 'mcp'
  );
}

export class PackageLauncher {
  /** Operator files among the passthrough values (e.g. a CA bundle), mounted read-only in the sandbox. */
  private readonly passthroughFiles: string[];
  /** Versions a request installs now (`registry:name@version`), with its charge of the install budget. */
  private readonly installing = new Map<string, Promise<void>>();

  constructor(private readonly d: PackageLauncherDeps) {
    this.passthroughFiles = Object.values(d.passthrough).filter((v) => path.isAbsolute(v));
  }

  /**
   * Validates the request (before any network), resolves, quality-checks and installs the package, and
   * builds the launch request. `run` gets it while the request's secrets are registered for masking.
   * @throws GatewayError for every refusal.
   */
  async prepare<T>(
    route: PackagePath,
    config: RequestConfig,
    run: (req: LaunchRequest<ProcessMeta>) => Promise<T>,
  ): Promise<T> {
    const spec = parsePackageSpec(route.spec);
    this.d.gates.policy.checkRequest(spec);
    const pairs = [...config.query, ...config.headers];
    const mapped = mapParamsToEnv(pairs, this.d.limits);
    const argsParam = pairs.find(([k]) => k === 'args')?.[1];
    const userArgs = argsParam === undefined ? [] : splitArgs(argsParam);
    // Only what is secret is masked, so servers' own messages about plain settings stay readable.
    const secrets = [...secretEnvValues(mapped), ...secretArgValues(userArgs)];
    this.d.redactor.add(secrets);
    const span = this.d.tracing?.start(
      'package.launch',
      SpanKind.INTERNAL,
      { 'mcp.package.spec': route.spec },
      config.trace,
    );
    let failure: string | undefined;
    /** This request's install, when it is the one that installs (charged and recorded). */
    let installer: { key: string; charge: Promise<void> } | undefined;
    try {
      const step = config.progress ?? (() => undefined);
      step({ step: 'resolving', spec: route.spec });
      const resolved = await this.d.resolver.resolve(spec);
      this.d.gates.policy.checkResolved(resolved);
      this.d.gates.permissions?.checkPackage(config.caller.principal, resolved);
      const { registry, name, version, quality } = resolved;
      step({ step: 'resolved', registry, name, version, quality });
      const cached = !!(await this.d.store.get(resolved));
      // Requests that come while another installs the same version wait for that install (the store
      // installs once): only the first is charged and recorded.
      // A request whose install was refused (its budget spent) lets the waiting ones be charged instead.
      const installKey = `${registry}:${name}@${version}`;
      const pending = cached ? undefined : this.installing.get(installKey);
      const joined = pending
        ? await pending.then(
            () => true,
            () => false,
          )
        : false;
      if (!cached && !joined) {
        const charge = this.d.gates.chargeInstall(config.caller.principal.id, config.caller.address);
        installer = { key: installKey, charge };
        this.installing.set(installKey, charge);
        await charge;
      }
      if (!cached) step({ step: 'installing', name, version });
      const began = Date.now();
      const audited = (outcome: string) =>
        !installer ||
        this.d.audit?.({
          type: 'install',
          principal: config.caller.principal.id,
          package: name,
          version,
          outcome,
          ms: Date.now() - began,
        });
      const installSpan = !installer
        ? undefined
        : this.d.tracing?.start(
            'package.install',
            SpanKind.INTERNAL,
            { 'mcp.package.name': name, 'mcp.package.version': version, 'mcp.package.registry': registry },
            span,
          );
      const installed = await this.d.store
        .ensureInstalled(
          resolved,
          this.storeKeysInUse(),
          config.progress ? (line) => step({ step: 'output', line: this.d.redactor.mask(line) }) : undefined,
        )
        .catch((err: unknown) => {
          audited(err instanceof GatewayError ? err.code : 'INTERNAL_ERROR');
          endSpan(installSpan, err instanceof GatewayError ? err.code : 'INTERNAL_ERROR');
          throw err;
        });
      endSpan(installSpan);
      audited('ok');
      this.d.gates.supplyChain.judge(resolved, installed.supplyChain);
      step(cached ? { step: 'cached' } : { step: 'installed', ms: Date.now() - began });
      void this.d.store.touch(installed);
      const { command, args } = buildCommand(installed, userArgs, this.d.nodePath, this.d.nodeHeapMb);
      const meta: ProcessMeta = {
        packageName: resolved.name,
        packageType: resolved.registry,
        version: resolved.version,
        requestedVersion: resolved.requested,
        storeKey: installed.key,
        protocol: route.protocol,
        quality: resolved.quality,
        // The gateway's own arguments (heap flag, entry point) are shown as they are; the user's masked.
        connectionInfo: {
          command,
          args: [...args.slice(0, args.length - userArgs.length), ...maskArgs(userArgs)],
          env: maskEnv(mapped),
        },
        settingsKey: settingsKeyOf(maskArgs(userArgs), maskEnv(mapped)),
        ...(installed.supplyChain ? { supplyChain: installed.supplyChain } : {}),
        secrets,
        owner: config.caller.principal.id,
        network: !this.d.gates.noNetwork(resolved.registry, resolved.name),
      };
      const env = buildChildEnv({
        pkg: installed,
        nodePath: this.d.nodePath,
        systemPath: this.d.systemPath,
        passthrough: this.d.passthrough,
        mapped,
      });
      return await run({
        key: configurationKey(installed.key, mapped, userArgs, config.caller.principal.id),
        label: slug(resolved.name),
        principal: config.caller.principal.id,
        ...(config.caller.principal.role === 'admin' ? { privileged: true } : {}),
        meta,
        plan: {
          command,
          args,
          env,
          sandbox: {
            packageDir: installed.dir,
            network: meta.network,
            extraReadOnly: this.passthroughFiles,
          },
        },
      });
    } catch (err) {
      failure = err instanceof GatewayError ? err.code : 'INTERNAL_ERROR';
      throw err;
    } finally {
      if (installer && this.installing.get(installer.key) === installer.charge)
        this.installing.delete(installer.key);
      this.d.redactor.remove(secrets);
      endSpan(span, failure);
    }
  }

  /** Handles GET /package/{spec}/stdio: launch, or reuse the shared process of this configuration. */
  launch(route: PackagePath, config: RequestConfig): Promise<LaunchAnswer> {
    return this.prepare(route, config, async (req) => {
      config.progress?.({ step: 'starting' });
      const began = Date.now();
      const { process, meta, reused } = await this.d.processes.acquire(profiled(req));
      config.progress?.(
        reused
          ? { step: 'reused' }
          : { step: 'initialized', server: process.identity.serverInfo, ms: Date.now() - began },
      );
      return {
        success: true,
        processId: process.id,
        packageName: meta.packageName,
        packageType: meta.packageType,
        version: meta.version,
        requestedVersion: req.meta.requestedVersion,
        protocol: route.protocol,
        status: process.status,
        startTime: process.createdAt,
        reused,
        message: `${meta.packageType.toUpperCase()} MCP server ${meta.packageName}@${meta.version} is ${process.status}${reused ? ' (reused the running process)' : ''}.`,
        connectionInfo: meta.connectionInfo,
        quality: meta.quality,
        supplyChain: meta.supplyChain ?? null,
        server: process.identity,
      };
    });
  }

  private storeKeysInUse(): Set<string> {
    return new Set(this.d.processes.list().map((p) => p.meta.storeKey));
  }
}
