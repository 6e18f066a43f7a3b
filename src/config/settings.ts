/**
 * @module Every setting the operator can set, by environment variable: where it goes in the configuration
 * schema, its aliases, and its command-line flag (the variable in kebab case: MAX_PROCESSES is
 * --max-processes). One table serves the environment, the flags, `--help` and error messages, which name
 * the variable the operator set, never a schema path.
 */
import path from 'node:path';

export interface Setting {
  /** The environment variable. */
  env: string;
  /** Where the value goes in the configuration schema. */
  path: [string, string];
  /** Other variables read when `env` is unset (npm's and pip's own names). */
  aliases?: string[];
  /** A file system path, resolved against the working directory. */
  resolvePath?: boolean;
  /** A secret (or holds one): `--help` shows `***` for it. */
  secret?: boolean;
}

export const SETTINGS: readonly Setting[] = [
  { env: 'PORT', path: ['server', 'port'] },
  { env: 'HOST', path: ['server', 'host'] },
  { env: 'LOG_LEVEL', path: ['log', 'level'] },
  { env: 'LOG_DIR', path: ['log', 'dir'], resolvePath: true },
  { env: 'LOG_FORMAT', path: ['log', 'format'] },
  { env: 'LOG_MAX_BYTES', path: ['log', 'maxBytes'] },
  { env: 'LOG_MAX_FILES', path: ['log', 'maxFiles'] },
  { env: 'LOG_FILE_GROUP', path: ['log', 'fileGroup'] },
  {
    env: 'NPM_REGISTRY_URL',
    path: ['registry', 'npmUrl'],
    aliases: ['NPM_CONFIG_REGISTRY', 'npm_config_registry'],
  },
  { env: 'NPM_DOWNLOADS_API_URL', path: ['registry', 'npmDownloadsUrl'] },
  { env: 'PYPI_INDEX_URL', path: ['registry', 'pypiIndexUrl'], aliases: ['PIP_INDEX_URL'] },
  {
    env: 'PYPI_EXTRA_INDEX_URLS',
    path: ['registry', 'pypiExtraIndexUrls'],
    aliases: ['PIP_EXTRA_INDEX_URL'],
  },
  { env: 'PYPI_JSON_API_URL', path: ['registry', 'pypiJsonApiUrl'] },
  { env: 'REGISTRY_TIMEOUT_MS', path: ['registry', 'timeoutMs'] },
  { env: 'METADATA_CACHE_TTL_MS', path: ['registry', 'cacheTtlMs'] },
  { env: 'MIN_MONTHLY_DOWNLOADS', path: ['quality', 'minMonthlyDownloads'] },
  { env: 'QUALITY_STRICT', path: ['quality', 'strict'] },
  { env: 'QUALITY_ALLOWLIST', path: ['quality', 'allowlist'] },
  { env: 'PYPI_MAX_RELEASE_AGE_DAYS', path: ['quality', 'pypiMaxReleaseAgeDays'] },
  { env: 'STORE_DIR', path: ['store', 'dir'], resolvePath: true },
  { env: 'SECRETS_KEY', path: ['store', 'secretsKey'], secret: true },
  { env: 'STORE_MAX_BYTES', path: ['store', 'maxBytes'] },
  { env: 'INSTALL_TIMEOUT_MS', path: ['store', 'installTimeoutMs'] },
  { env: 'INSTALL_SCRIPTS_ALLOWLIST', path: ['store', 'installScriptsAllowlist'] },
  { env: 'USE_UV', path: ['store', 'uv'] },
  { env: 'PYTHON_BIN', path: ['store', 'python'] },
  { env: 'MAX_PROCESSES', path: ['process', 'maxProcesses'] },
  { env: 'MAX_PROCESSES_PER_PRINCIPAL', path: ['process', 'maxProcessesPerPrincipal'] },
  { env: 'IDLE_TIMEOUT_MS', path: ['process', 'idleTimeoutMs'] },
  { env: 'HEALTH_CHECK_INTERVAL_MS', path: ['process', 'healthCheckIntervalMs'] },
  { env: 'PING_TIMEOUT_MS', path: ['process', 'pingTimeoutMs'] },
  { env: 'MAX_RESTARTS', path: ['process', 'maxRestarts'] },
  { env: 'RESTART_BACKOFF_MS', path: ['process', 'restartBackoffMs'] },
  { env: 'STARTUP_TIMEOUT_MS', path: ['process', 'startupTimeoutMs'] },
  { env: 'STOP_GRACE_MS', path: ['process', 'stopGraceMs'] },
  { env: 'RUN_DIR', path: ['process', 'runDir'], resolvePath: true },
  { env: 'STDERR_TAIL_LINES', path: ['process', 'stderrTailLines'] },
  { env: 'WARM_POOL_SIZE', path: ['process', 'warmPoolSize'] },
  { env: 'CHILD_ENV_PASSTHROUGH', path: ['process', 'childEnvPassthrough'] },
  { env: 'MAX_PARAM_VALUE_BYTES', path: ['request', 'maxParamValueBytes'] },
  { env: 'MAX_PARAMS', path: ['request', 'maxParams'] },
  { env: 'MAX_BODY_BYTES', path: ['request', 'maxBodyBytes'] },
  { env: 'REQUEST_TIMEOUT_MS', path: ['request', 'timeoutMs'] },
  { env: 'SESSION_IDLE_TIMEOUT_MS', path: ['session', 'idleTimeoutMs'] },
  { env: 'SESSION_EVENT_STORE_SIZE', path: ['session', 'eventStoreSize'] },
  { env: 'SSE_KEEPALIVE_MS', path: ['session', 'keepAliveMs'] },
  { env: 'ALLOWED_ORIGINS', path: ['http', 'allowedOrigins'] },
  { env: 'REGISTRY_API_CORS', path: ['http', 'registryApiCors'] },
  { env: 'PUBLIC_URL', path: ['http', 'publicUrl'] },
  { env: 'ALLOWED_HOSTS', path: ['http', 'allowedHosts'] },
  { env: 'TRUST_PROXY', path: ['http', 'trustProxy'] },
  { env: 'HEADERS_TIMEOUT_MS', path: ['http', 'headersTimeoutMs'] },
  { env: 'REQUEST_BODY_TIMEOUT_MS', path: ['http', 'requestBodyTimeoutMs'] },
  { env: 'KEEP_ALIVE_TIMEOUT_MS', path: ['http', 'keepAliveTimeoutMs'] },
  { env: 'API_KEYS', path: ['auth', 'apiKeys'] },
  { env: 'API_KEYS_FILE', path: ['auth', 'apiKeysFile'] },
  { env: 'OPEN_REGISTRY', path: ['auth', 'openRegistry'] },
  { env: 'OAUTH_ISSUER', path: ['oauth', 'issuers'] },
  { env: 'OAUTH_USER_SCOPE', path: ['oauth', 'userScope'] },
  { env: 'OAUTH_ADMIN_SCOPE', path: ['oauth', 'adminScope'] },
  { env: 'OAUTH_INTROSPECTION_CLIENT_ID', path: ['oauth', 'introspectionClientId'] },
  { env: 'OAUTH_INTROSPECTION_CLIENT_SECRET', path: ['oauth', 'introspectionClientSecret'], secret: true },
  { env: 'OAUTH_CLOCK_SKEW_SECONDS', path: ['oauth', 'clockSkewSeconds'] },
  { env: 'OAUTH_BUILTIN', path: ['oauth', 'builtin'] },
  { env: 'OAUTH_DATA_DIR', path: ['oauth', 'dataDir'], resolvePath: true },
  { env: 'OAUTH_USERS', path: ['oauth', 'users'] },
  { env: 'OAUTH_ACCESS_TOKEN_TTL_SECONDS', path: ['oauth', 'accessTokenTtlSeconds'] },
  { env: 'TOOL_PINNING', path: ['trust', 'pinning'] },
  { env: 'SUPPLY_CHAIN', path: ['trust', 'supplyChain'] },
  { env: 'SUPPLY_CHAIN_RULES', path: ['trust', 'supplyChainRules'] },
  { env: 'SIGSTORE_TRUSTED_ROOT', path: ['trust', 'sigstoreTrustedRoot'], resolvePath: true },
  { env: 'SIGSTORE_TUF_URL', path: ['trust', 'sigstoreTufUrl'] },
  { env: 'TOOL_PERMISSIONS_FILE', path: ['permissions', 'file'], resolvePath: true },
  { env: 'TOOLSET_TOOL_SEARCH', path: ['toolsets', 'toolSearch'] },
  { env: 'PACKAGE_ALLOW', path: ['policy', 'allow'] },
  { env: 'PACKAGE_DENY', path: ['policy', 'deny'] },
  { env: 'REQUIRE_EXACT_VERSION', path: ['policy', 'requireExactVersion'] },
  { env: 'MAX_PACKAGE_AGE_DAYS', path: ['policy', 'maxPackageAgeDays'] },
  { env: 'RATE_LIMIT_PER_KEY', path: ['rateLimit', 'perKeyPerMinute'] },
  { env: 'RATE_LIMIT_PER_ADDRESS', path: ['rateLimit', 'perAddressPerMinute'] },
  { env: 'INSTALLS_PER_HOUR', path: ['rateLimit', 'installsPerHour'] },
  { env: 'RATE_LIMIT_MESSAGES_PER_KEY', path: ['rateLimit', 'messagesPerKeyPerMinute'] },
  { env: 'RATE_LIMIT_SESSIONS_PER_KEY', path: ['rateLimit', 'sessionsPerKeyPerMinute'] },
  { env: 'MAX_SESSIONS_PER_KEY', path: ['rateLimit', 'maxSessionsPerKey'] },
  { env: 'DASHBOARD_STREAMS_PER_KEY', path: ['rateLimit', 'dashboardStreamsPerKey'] },
  { env: 'DASHBOARD_STREAMS_PER_ADDRESS', path: ['rateLimit', 'dashboardStreamsPerAddress'] },
  { env: 'REDIS_URL', path: ['cluster', 'redisUrl'], secret: true },
  { env: 'CLUSTER_ADDRESS', path: ['cluster', 'address'] },
  { env: 'CLUSTER_SECRET', path: ['cluster', 'secret'], secret: true },
  { env: 'CLUSTER_HEARTBEAT_MS', path: ['cluster', 'heartbeatMs'] },
  { env: 'REDIS_KEY_PREFIX', path: ['cluster', 'keyPrefix'] },
  { env: 'DRAIN_TIMEOUT_MS', path: ['cluster', 'drainMs'] },
  { env: 'SANDBOX', path: ['sandbox', 'mode'] },
  { env: 'BWRAP_PATH', path: ['sandbox', 'bwrapPath'] },
  { env: 'SANDBOX_NO_NETWORK', path: ['sandbox', 'noNetwork'] },
  { env: 'CHILD_NETWORK', path: ['sandbox', 'network'] },
  { env: 'CHILD_HOST_PORTS', path: ['sandbox', 'hostPorts'] },
  { env: 'CHILD_ALLOW_NETS', path: ['sandbox', 'allowNets'] },
  { env: 'SANDBOX_CHILD_UID', path: ['sandbox', 'childUid'] },
  { env: 'CHILD_MEMORY_MB', path: ['sandbox', 'memoryMb'] },
  { env: 'CHILD_MEMORY_MECHANISM', path: ['sandbox', 'memoryMechanism'] },
  { env: 'CHILDREN_MEMORY_MB', path: ['sandbox', 'childrenMemoryMb'] },
  { env: 'CHILD_DISK_MB', path: ['sandbox', 'diskMb'] },
  { env: 'CHILD_OPEN_FILES', path: ['sandbox', 'openFiles'] },
  { env: 'CHILD_PROCESSES', path: ['sandbox', 'processes'] },
  { env: 'CHILD_CPU_SECONDS', path: ['sandbox', 'cpuSeconds'] },
];

/** The command-line flag of a setting: `MAX_PROCESSES` → `max-processes`. */
export const flagOf = (s: Setting): string => s.env.toLowerCase().replace(/_/g, '-');

type Env = Record<string, string | undefined>;

/** The configuration's shape from environment variables (undefined keeps the default). */
export function fromEnv(env: Env): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const s of SETTINGS) {
    const [section, key] = s.path;
    let value = env[s.env];
    for (const alias of s.aliases ?? []) value ??= env[alias];
    if (value !== undefined && s.resolvePath && value !== 'off') value = path.resolve(value);
    out[section] ??= {};
    out[section][key] = value;
  }
  out.server ??= {};
  out.server.version = env.npm_package_version;
  return out;
}

/** The variable (or flag) that sets the schema path `p`, for error messages. */
export function settingName(p: ReadonlyArray<PropertyKey>): string {
  const s = SETTINGS.find((x) => x.path[0] === p[0] && x.path[1] === p[1]);
  return s ? s.env : p.join('.');
}
