/**
 * @module What the gateway checks and detects before it starts anything, each failure a ConfigError that
 * names the setting: the children's passthrough variables, log file access, keys and the exposure rule,
 * the package policy, the children's sandbox, memory cap and network, and the cluster it joins.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { ZodError } from 'zod';
import { Cluster } from './cluster/cluster.js';
import { type Config, ConfigError } from './config/config.js';
import { isIssuerUrl } from './config/oauth-settings.js';
import { interactionErrorPage } from './http/routes/sign-in-pages.js';
import type { Logger, Rotation } from './observability/logger.js';
import type { ApiKeys } from './policy/api-keys.js';
import { Authenticator, type OAuthPart } from './policy/authenticator.js';
import { checkExposure, ExposureError, loadApiKeys } from './policy/exposure.js';
import { Accounts } from './policy/oauth/server/accounts.js';
import type { AuthorizationServer } from './policy/oauth/server/authorization-server.js';
import { MOUNT } from './policy/oauth/server/server-paths.js';
import { TokenVerifier } from './policy/oauth/token-verifier.js';
import { compilePattern, PatternError } from './policy/package-pattern.js';
import { PackagePolicy } from './policy/package-policy.js';
import { SupplyChainPolicy } from './policy/supply-chain-policy.js';
import { PermissionsSchema, ToolPermissions } from './policy/tool-permissions.js';
import { groupId } from './process/group-id.js';
import { which } from './process/runtime-detect.js';
import { ChildNetwork, NetworkUnavailableError } from './runtime/child-network.js';
import { ChildSandbox, childUidFor, SandboxUnavailableError } from './runtime/child-sandbox.js';
import { passthroughEnv } from './runtime/env-mapping.js';
import { MemoryLimit, MemoryLimitUnavailableError } from './runtime/memory-limit.js';

/** The operator's passthrough variables; a refused name is a configuration error. */
export function childPassthrough(config: Config): Record<string, string> {
  try {
    return passthroughEnv(config.process.childEnvPassthrough, process.env);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** How log files rotate and which group may read them; an unknown LOG_FILE_GROUP is a configuration error. */
export function logRotation(config: Config): Rotation {
  const { maxBytes, maxFiles, fileGroup } = config.log;
  if (fileGroup === undefined) return { maxBytes, maxFiles };
  const gid = groupId(fileGroup);
  if (gid === undefined) throw new ConfigError(`LOG_FILE_GROUP: no group '${fileGroup}' on this system.`);
  return { maxBytes, maxFiles, gid };
}

/**
 * The OAuth resource server of OAUTH_ISSUER and OAUTH_BUILTIN: its token verifier and what its
 * metadata says (the built-in server's tokens are checked against its keys at hand).
 */
function oauthPart(config: Config, builtin: AuthorizationServer | undefined): OAuthPart {
  const o = config.oauth;
  const issuers = builtin ? [...o.issuers, builtin.issuer] : o.issuers;
  return {
    verifier: new TokenVerifier({
      ...o,
      issuers,
      local: builtin && { issuer: builtin.issuer, keySet: builtin.keySet },
    }),
    settings: { issuers, userScope: o.userScope, adminScope: o.adminScope },
    builtin: builtin && {
      issuer: builtin.issuer,
      roleOf: (account) => builtin.accounts.find(account)?.role,
    },
  };
}

/**
 * The built-in authorization server of OAUTH_BUILTIN. @throws ConfigError without PUBLIC_URL (its issuer
 * must be fixed and reachable by clients), for a bad OAUTH_USERS entry, or when nobody could sign in.
 */
async function builtinServer(
  config: Config,
  keys: ApiKeys,
  fetchFn: typeof fetch | undefined,
): Promise<AuthorizationServer> {
  const o = config.oauth;
  const publicUrl = config.http.publicUrl;
  if (!publicUrl || !isIssuerUrl(`${publicUrl}${MOUNT}`))
    throw new ConfigError(
      'OAUTH_BUILTIN needs PUBLIC_URL: the https URL clients reach the gateway at (http only on a loopback host); the issuer is PUBLIC_URL/oauth.',
    );
  let accounts: Accounts;
  try {
    accounts = new Accounts(keys, o.users);
  } catch (err) {
    throw new ConfigError(`OAUTH_USERS: ${(err as Error).message}`);
  }
  if (accounts.empty)
    throw new ConfigError(
      'OAUTH_BUILTIN: nobody could sign in. Set API_KEYS (people sign in with their key) or OAUTH_USERS (npm run oauth-user).',
    );
  // Loaded only when it is on: most gateways never need oidc-provider in memory.
  const { AuthorizationServer } = await import('./policy/oauth/server/authorization-server.js');
  const errorPage = async (message: string) => String(await interactionErrorPage(message));
  return AuthorizationServer.create({ ...o, publicUrl, fetch: fetchFn, errorPage }, accounts);
}

/**
 * The tool permissions of TOOL_PERMISSIONS_FILE (none yet when the file does not exist: PUT /permissions
 * writes it). @throws ConfigError naming the setting for a file that is no valid policy.
 */
export function loadPermissions(file: string | undefined): ToolPermissions {
  if (!file || !existsSync(file)) return new ToolPermissions();
  try {
    return new ToolPermissions(PermissionsSchema.parse(JSON.parse(readFileSync(file, 'utf8'))));
  } catch (err) {
    const why =
      err instanceof ZodError
        ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
        : (err as Error).message;
    throw new ConfigError(`TOOL_PERMISSIONS_FILE ${file}: ${why}`);
  }
}

/**
 * Keys, OAuth (and the built-in authorization server), exposure rule and package policy, all checked
 * before anything starts. `oauthFetch`: how the built-in server fetches client metadata documents.
 */
export async function compileSecurity(config: Config, oauthFetch?: typeof fetch) {
  try {
    const keys = loadApiKeys(config.auth);
    const authorizationServer = config.oauth.builtin
      ? await builtinServer(config, keys, oauthFetch)
      : undefined;
    const oauth =
      config.oauth.issuers.length > 0 || authorizationServer
        ? oauthPart(config, authorizationServer)
        : undefined;
    const auth = new Authenticator(keys, config.auth.openRegistry, oauth);
    const warning = checkExposure({
      bindHost: config.server.host,
      keyCount: keys.size,
      oauth: oauth !== undefined,
      openRegistry: config.auth.openRegistry,
      trustProxy: config.http.trustProxy,
      allowedHosts: config.http.allowedHosts,
      publicUrl: config.http.publicUrl,
    });
    const policy = new PackagePolicy(config.policy);
    const noNetwork = config.sandbox.noNetwork.map(compilePattern);
    const supplyChain = new SupplyChainPolicy(config.trust.supplyChain, config.trust.supplyChainRules);
    return { auth, warning, policy, noNetwork, authorizationServer, supplyChain };
  } catch (err) {
    if (err instanceof ExposureError || err instanceof PatternError) throw new ConfigError(err.message);
    throw err;
  }
}

/** Detects the children's sandbox and memory cap; a required but unusable one is a configuration error. */
export async function detectSandbox(
  config: Config,
  logger: Logger,
  pythonBin: string,
  ownRunDir: string,
): Promise<{ sandbox: ChildSandbox; memory: MemoryLimit }> {
  mkdirSync(config.store.dir, { recursive: true });
  const python = await which(pythonBin);
  const runtimes = [process.execPath, ...(python ? [python] : [])];
  try {
    const memory = await MemoryLimit.detect(
      {
        memoryMb: config.sandbox.memoryMb,
        childrenMemoryMb: config.sandbox.childrenMemoryMb,
        processes: config.sandbox.processes,
        mechanism: config.sandbox.memoryMechanism,
      },
      childUidFor(config.sandbox),
      { prlimit: await which('prlimit'), setpriv: await which('setpriv') },
    );
    const network = await detectNetwork(config, logger, ownRunDir);
    const sandbox = ChildSandbox.detect(
      config.sandbox,
      runtimes,
      [config.store.dir, config.process.runDir],
      memory,
      network,
    );
    const r = sandbox.report;
    if (r.mode === 'none' && config.sandbox.mode === 'auto')
      logger.warn(
        { reason: r.reason },
        'children run WITHOUT a sandbox (bubblewrap unavailable); see SECURITY.md',
      );
    else logger.info({ sandbox: r.mode, childUid: r.childUid, limits: r.limits }, 'child sandbox ready');
    if (!r.limits.enforced) logger.warn('prlimit not found: children run without resource limits');
    const m = r.limits.memory;
    if (m.mechanism === 'rlimit-data' || m.mechanism === 'none')
      logger.warn(
        { memoryLimit: m.mechanism, reason: m.reason },
        'child memory is capped without cgroups (RLIMIT_DATA or nothing); see SECURITY.md',
      );
    else
      logger.info(
        { memoryLimit: m.mechanism, memoryMb: config.sandbox.memoryMb, childrenMemoryMb: m.childrenMemoryMb },
        'child memory limit',
      );
    return { sandbox, memory };
  } catch (err) {
    if (
      err instanceof SandboxUnavailableError ||
      err instanceof MemoryLimitUnavailableError ||
      err instanceof NetworkUnavailableError
    )
      throw new ConfigError(err.message);
    throw err;
  }
}

/** The children's network (CHILD_NETWORK), probed; a shared host network is said loudly. */
export async function detectNetwork(
  config: Config,
  logger: Logger,
  ownRunDir: string,
): Promise<ChildNetwork> {
  const [unshare, nsenter, slirp4netns, nft] = await Promise.all(
    ['unshare', 'nsenter', 'slirp4netns', 'nft'].map((t) => which(t)),
  );
  const s = config.sandbox;
  const network = await ChildNetwork.detect(
    { mode: s.network, hostPorts: s.hostPorts, allowNets: s.allowNets },
    {
      unshare: unshare ?? null,
      nsenter: nsenter ?? null,
      slirp4netns: slirp4netns ?? null,
      nft: nft ?? null,
    },
    ownRunDir,
  );
  const r = network.report;
  if (r.mode === 'host' && s.network === 'auto')
    logger.warn(
      { reason: r.reason },
      "children share the host's network: their code can reach this gateway and every local service; see SECURITY.md",
    );
  else logger.info({ network: r.mode, hostPorts: r.hostPorts, allowNets: r.allowNets }, 'child network');
  return network;
}

/** The cluster this instance joins (REDIS_URL), or itself alone; an unreachable Redis is a start-up error. */
export async function joinCluster(config: Config, logger: Logger, localSessions: () => Map<string, number>) {
  try {
    const cluster = await Cluster.create(config.cluster, logger, localSessions);
    if (cluster.enabled) logger.info({ instance: cluster.self.id }, 'cluster mode (Redis)');
    // Whoever reads Redis reads the secret that signs forwarded requests, and can act as an instance.
    const redisUrl = config.cluster.redisUrl;
    if (redisUrl && !new URL(redisUrl).password)
      logger.warn(
        { redis: new URL(redisUrl).host },
        'REDIS_URL has no password: anyone who reaches Redis can read the cluster secret and act as an instance; set requirepass (and CLUSTER_SECRET), see SECURITY.md',
      );
    return cluster;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}
