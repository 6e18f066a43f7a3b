/**
 * @module The gateway's configuration: one zod schema holding every default, parsed once at start-up
 * from environment variables (and a few command-line flags) and frozen. Each module receives its slice.
 */
import path from 'node:path';
import { z } from 'zod';
import { isCidr } from './cidr.js';
import { OAuthSchema } from './oauth-settings.js';
import { bool, list, ms, url } from './schema-parts.js';
import { fromEnv, settingName } from './settings.js';

const MINUTE = 60_000;

/** An issuer URL the gateway may trust: https, or http on a loopback host; no query or fragment (RFC 8414 §2). */
/** Every setting with its default. Durations are milliseconds, sizes bytes. */
export const ConfigSchema = z.object({
  server: z.object({
    port: z.coerce.number().int().min(0).max(65535).default(3000),
    /** Loopback by default; use 0.0.0.0 in production behind a proxy. */
    host: z.string().min(1).default('127.0.0.1'),
    /** Gateway version reported by /health. */
    version: z.string().default('0.0.0'),
  }),
  log: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * combined.log, error.log and each child's output (processes/<id>.log) are written here, rotated by
     * size; `off` writes no files (stdout only).
     */
    dir: z
      .string()
      .default(path.resolve('.data/logs'))
      .transform((d) => (d === 'off' || d === '' ? undefined : d)),
    /**
     * `json`: JSON log lines on the console too (stdout when serving, stderr for `install`); `none`: in
     * the log files only. Unset: JSON on stdout when serving, except on a terminal, and none for `install`.
     */
    format: z.enum(['json', 'none']).optional(),
    /** A log file is rotated past this size, bytes. */
    maxBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .default(10 * 1024 * 1024),
    /** Rotated files kept per log (combined.log.1 … .N). */
    maxFiles: z.coerce.number().int().min(1).max(100).default(5),
    /**
     * A group (name or gid) that may read the log files: they are 0640 then (0600, the gateway's user
     * alone, without it).
     */
    fileGroup: z.string().min(1).optional(),
  }),
  registry: z.object({
    npmUrl: url.default('https://registry.npmjs.org'),
    npmDownloadsUrl: url.default('https://api.npmjs.org'),
    /** A PEP 503/691 simple index, like pip's --index-url (http(s) or file://). */
    pypiIndexUrl: url.default('https://pypi.org/simple'),
    /** More indexes searched too, like pip's --extra-index-url (from pip's configuration by default). */
    pypiExtraIndexUrls: z
      .union([z.array(z.string()), z.string()])
      .transform((v) => (Array.isArray(v) ? v : v.split(/[\s,]+/)).filter(Boolean))
      .pipe(z.array(url))
      .default([]),
    /** pypi.org-style JSON API base (…/pypi); derived for pypi.org, else unused. */
    pypiJsonApiUrl: url.optional(),
    timeoutMs: ms(10_000),
    cacheTtlMs: ms(5 * MINUTE),
  }),
  quality: z.object({
    minMonthlyDownloads: z.coerce.number().int().min(0).default(100),
    /** Deny (instead of allow with `checked: false`) when the downloads API cannot be reached. */
    strict: bool.default(false),
    /** Packages that skip the quality check (exact names). */
    allowlist: list.default([]),
    pypiMaxReleaseAgeDays: z.coerce.number().int().min(1).default(365),
  }),
  store: z.object({
    dir: z.string().default(path.resolve('.data/store')),
    /**
     * The key that seals stored secrets (toolsets' parameters): 32 bytes, base64 or hex. Unset: a key
     * file made once in the store (`secrets.key`, 0600).
     */
    secretsKey: z.string().optional(),
    maxBytes: z.coerce
      .number()
      .int()
      .min(1)
      .default(10 * 1024 ** 3),
    installTimeoutMs: ms(5 * MINUTE),
    /** npm packages allowed to run install scripts (scripts are off for everyone else). */
    installScriptsAllowlist: list.default([]),
    /** auto: use uv when it is on PATH; never: always pip + venv. */
    uv: z.enum(['auto', 'never']).default('auto'),
    python: z.string().default('python3'),
  }),
  process: z.object({
    maxProcesses: z.coerce.number().int().min(1).default(10),
    /**
     * A principal's fair share of MAX_PROCESSES while the gateway is full: at or over it, a principal makes
     * room among its own processes. 0: half of MAX_PROCESSES (at least 1). Free capacity is anyone's.
     */
    maxProcessesPerPrincipal: z.coerce.number().int().min(0).default(0),
    idleTimeoutMs: ms(30 * MINUTE),
    healthCheckIntervalMs: ms(30_000),
    pingTimeoutMs: ms(10_000),
    maxRestarts: z.coerce.number().int().min(0).default(3),
    restartBackoffMs: ms(1_000),
    /**
     * The child must answer `initialize` within this. Below the 60 s request timeout of the MCP SDK
     * clients, so that a server that hangs at start is reported (with what it printed) before the client
     * gives up, with time left for a first install.
     */
    startupTimeoutMs: ms(30_000),
    stopGraceMs: ms(3_000),
    /** Where each child gets its private HOME and TMPDIR. */
    runDir: z.string().default(path.resolve('.data/run')),
    stderrTailLines: z.coerce.number().int().min(10).default(200),
    /** Spare, already started processes kept per configuration so new sessions do not wait for a spawn. */
    warmPoolSize: z.coerce.number().int().min(0).max(100).default(1),
    /**
     * Gateway variables copied into every child (operator's choice, e.g. NODE_EXTRA_CA_CERTS, HTTPS_PROXY
     * on machines with a custom CA or a proxy). Names that load code are refused at start-up.
     */
    childEnvPassthrough: list.default([]),
  }),
  request: z.object({
    maxParamValueBytes: z.coerce
      .number()
      .int()
      .min(1)
      .default(8 * 1024),
    maxParams: z.coerce.number().int().min(1).default(64),
    /** Largest MCP request body, bytes (413 beyond it). */
    maxBodyBytes: z.coerce
      .number()
      .int()
      .min(1024)
      .default(16 * 1024 * 1024),
    /** A relayed request not answered within this fails, and the server gets notifications/cancelled. */
    timeoutMs: ms(5 * MINUTE),
  }),
  session: z.object({
    idleTimeoutMs: ms(30 * MINUTE),
    /** Messages kept per session for Last-Event-ID resumption. */
    eventStoreSize: z.coerce.number().int().min(0).default(1000),
    /** SSE keep-alive comment interval. */
    keepAliveMs: ms(15_000),
  }),
  http: z.object({
    /**
     * Origins allowed to call MCP endpoints from browsers (`*` matches any run of characters). Requests
     * without Origin (non-browser clients) and same-origin requests are always allowed.
     */
    allowedOrigins: list.default([
      'http://localhost:*',
      'http://127.0.0.1:*',
      'https://localhost:*',
      'https://127.0.0.1:*',
    ]),
    /**
     * Origins whose web pages may read the read-only registry API (/v0.1) with CORS, e.g. a registry UI
     * (`*` wildcards; `*` alone: any page). Empty: only non-browser clients and same-origin pages.
     */
    registryApiCors: list.default([]),
    /** Base URL clients use to reach the gateway (for endpoints in answers); derived from the request when unset. */
    publicUrl: url.optional(),
    /**
     * Host names this gateway answers to (`*` wildcards). Loopback binds always accept loopback names and
     * refuse others (DNS rebinding); other binds accept every name unless this is set.
     */
    allowedHosts: list.default([]),
    /** Take the client address from X-Forwarded-For (set only behind a reverse proxy you run). */
    trustProxy: bool.default(false),
    /** Time a client has to send its request headers (slowloris), ms. */
    headersTimeoutMs: ms(10_000),
    /** Time a client has to send a whole request, body included, ms (responses may stream longer). */
    requestBodyTimeoutMs: ms(30_000),
    /** Idle keep-alive connections are closed after this, ms. */
    keepAliveTimeoutMs: ms(5_000),
  }),
  auth: z.object({
    /** API key entries `id:role:sha256-hex` (role user or admin); `npm run api-key` makes them. */
    apiKeys: list.default([]),
    /** A file with one key entry per line (read at start-up). */
    apiKeysFile: z.string().optional(),
    /**
     * Serve callers without a key (a public registry). Needed to bind a non-loopback address without
     * keys; the gateway logs a loud warning.
     */
    openRegistry: bool.default(false),
  }),
  oauth: OAuthSchema,
  trust: z.object({
    /**
     * Tool pinning: `off`; `warn` (changes recorded, nothing held); `hold` (a definition that changes
     * within a version is held for an admin; a new version's changes are warnings); `strict` (both held).
     */
    pinning: z.enum(['off', 'warn', 'hold', 'strict']).default('hold'),
    /**
     * What a package's supply chain must show before it runs: `report` (checked and shown; a signature
     * or attestation that does not match is refused at every level), `signatures` (every package of the
     * installed tree carries a verified registry signature) or `provenance` (that, and verified Sigstore
     * provenance of the package itself).
     */
    supplyChain: z.enum(['report', 'signatures', 'provenance']).default('report'),
    /** Per-package exceptions, `pattern=report|signatures|provenance[:host/owner]` (the first match wins). */
    supplyChainRules: list.default([]),
    /** A Sigstore trusted_root.json to check provenance against instead of the TUF repository. */
    sigstoreTrustedRoot: z.string().optional(),
    /** The Sigstore TUF repository the trusted root and npm's attestation keys come from. */
    sigstoreTufUrl: url.default('https://tuf-repo-cdn.sigstore.dev'),
  }),
  permissions: z.object({
    /**
     * A JSON file of per-principal tool permissions (`{"rules":[…]}`, docs/access-and-trust.md, "Tool permissions"): read
     * at start-up, and rewritten by `PUT /permissions`. Unset: the rules live in memory (empty at start).
     */
    file: z.string().optional(),
  }),
  toolsets: z.object({
    /** `/toolsets/{name}/mcp` lists only `find_tools` (and what it found), for toolsets of many tools. */
    toolSearch: bool.default(false),
  }),
  policy: z.object({
    /** When non-empty, only packages matching one of these patterns run (`@myorg/*`, `name`, `name@range`). */
    allow: list.default([]),
    /** Packages that never run, on top of the built-in deny list (same pattern syntax). */
    deny: list.default([]),
    /** Refuse `latest`, tags and ranges: the request must name an exact version. */
    requireExactVersion: bool.default(false),
    /** Refuse packages whose newest release is older than this many days (0: off). */
    maxPackageAgeDays: z.coerce.number().int().min(0).default(0),
  }),
  rateLimit: z.object({
    /** Requests per minute per API key (or per anonymous caller); 0 turns the limit off. */
    perKeyPerMinute: z.coerce.number().int().min(0).default(600),
    /** Requests per minute per client address; 0 turns the limit off. */
    perAddressPerMinute: z.coerce.number().int().min(0).default(1200),
    /** Installs (first use of a package version) per hour per key and per address; 0: off. */
    installsPerHour: z.coerce.number().int().min(0).default(30),
    /**
     * Messages per minute per key inside sessions it holds (they reach only its own processes); 0: off.
     * Large by default: a busy client is never throttled, a runaway loop is.
     */
    messagesPerKeyPerMinute: z.coerce.number().int().min(0).default(60_000),
    /** New MCP sessions per minute per key (they cost no process, a few KB each); 0: off. */
    sessionsPerKeyPerMinute: z.coerce.number().int().min(0).default(6000),
    /**
     * Open MCP sessions per key (or anonymous caller). A session costs no process (sessions share their
     * configuration's child) and a few KB; at the limit the key's least recently active idle session ends.
     */
    maxSessionsPerKey: z.coerce.number().int().min(1).default(2000),
    /** Open dashboard event streams per key (a snapshot every 2 s each); 0: no cap. */
    dashboardStreamsPerKey: z.coerce.number().int().min(0).default(8),
    /** Open dashboard event streams per client address; 0: no cap. */
    dashboardStreamsPerAddress: z.coerce.number().int().min(0).default(16),
  }),
  cluster: z.object({
    /**
     * Cluster mode: several gateway instances (PM2 cluster workers, hosts behind a load balancer) share
     * sessions, limits and views through this Redis (6+ or Valkey). Unset: one instance, all in memory.
     */
    redisUrl: z.string().url().optional(),
    /**
     * Where this instance takes requests forwarded by the others (`host:port`; port 0 picks a free one).
     * Loopback for workers on one host; an address the other hosts reach when they run elsewhere.
     */
    address: z
      .string()
      .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port')
      .refine(
        (a) => !/^(0\.0\.0\.0|\[::\]):/.test(a),
        "an address the other instances can reach (this host's private address), not 0.0.0.0 or [::]",
      )
      .default('127.0.0.1:0'),
    /** Signs requests between instances (HMAC-SHA256); unset: one generated and kept in Redis. */
    secret: z.string().min(16).optional(),
    /** How often an instance renews its entry; it vanishes after three missed beats, ms. */
    heartbeatMs: ms(2000),
    /** Prefix of every Redis key (one Redis, several clusters). */
    keyPrefix: z.string().default('mcpgw:'),
    /** A graceful stop waits this long for requests in flight before ending sessions, ms. */
    drainMs: ms(10_000),
  }),
  sandbox: z.object({
    /** auto: bubblewrap when `bwrap` works here, else none with a warning; bwrap: required; none: off. */
    mode: z.enum(['auto', 'bwrap', 'none']).default('auto'),
    bwrapPath: z.string().default('bwrap'),
    /** Packages whose servers get no network (same pattern syntax as the policy). */
    noNetwork: list.default([]),
    /**
     * Children's network. auto: a network namespace of their own per child (slirp4netns: the public
     * internet only, never the host's loopback or private and link-local ranges) where it can be made
     * here, else the host's network with a warning; isolated: required; host: the host's network; none:
     * no network at all.
     */
    network: z.enum(['auto', 'isolated', 'host', 'none']).default('auto'),
    /** Host loopback ports children may reach as 127.0.0.1:PORT (a local database, a test API). */
    hostPorts: list
      .pipe(
        z.array(
          z
            .string()
            .regex(/^\d{1,5}$/, 'expected port numbers')
            .transform(Number),
        ),
      )
      .pipe(z.array(z.number().int().min(1).max(65535)))
      .default([]),
    /** Networks (CIDR) children may reach although private or link-local, e.g. 10.1.2.0/24. */
    allowNets: list
      .pipe(z.array(z.string().refine(isCidr, 'expected CIDR networks like 10.1.2.0/24 or fd00::/8')))
      .default([]),
    /** The uid and gid children run as when the gateway runs as root (sandboxed children only). */
    childUid: z.coerce.number().int().min(1).default(65534),
    /**
     * Memory per child, MiB: what it really uses (a cgroup), or its private writable memory (RLIMIT_DATA)
     * where cgroups cannot be used. Node children also get a V8 heap limit of three quarters of it. 0: off.
     */
    memoryMb: z.coerce.number().int().min(0).default(2048),
    /**
     * Memory of all children together, MiB: a parent cgroup's limit, so that busy children cannot drive
     * the host out of memory (the kernel's OOM killer then takes a child, never the gateway). 0: the
     * host's memory less a quarter (at least 1 GiB) for the gateway and the system.
     */
    childrenMemoryMb: z.coerce.number().int().min(0).default(0),
    /**
     * Disk per child, MiB: its HOME and /tmp are one tmpfs of this size in the sandbox (a write past it
     * gets ENOSPC; its pages count against the child's memory), and no file it writes may grow past it
     * (RLIMIT_FSIZE). 0: off.
     */
    diskMb: z.coerce.number().int().min(0).default(512),
    /** auto: a cgroup per child when cgroups work here, else RLIMIT_DATA; cgroup: required; rlimit: RLIMIT_DATA. */
    memoryMechanism: z.enum(['auto', 'cgroup', 'rlimit']).default('auto'),
    /** Open files per child; 0: off. */
    openFiles: z.coerce.number().int().min(0).default(1024),
    /** Processes and threads per sandboxed child (fork bombs); 0: off. */
    processes: z.coerce.number().int().min(0).default(256),
    /** CPU seconds per child over its life; 0: off (long-lived servers legitimately add up CPU time). */
    cpuSeconds: z.coerce.number().int().min(0).default(0),
  }),
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;
type Env = Record<string, string | undefined>;

/** Deep-merges `b` over `a`, skipping undefined values of `b`. */
function merge(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
    return out;
  }
  return b;
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object') {
    for (const v of Object.values(obj)) deepFreeze(v);
    Object.freeze(obj);
  }
  return obj;
}

/** Thrown when the configuration is invalid; main prints it and exits 1. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parses the configuration from `env`, with `overrides` (flags, tests) taking precedence.
 * Throws ConfigError listing every invalid setting.
 */
export function loadConfig(
  env: Env = process.env,
  overrides: DeepPartial<z.input<typeof ConfigSchema>> = {},
): Config {
  const raw = merge(fromEnv(env), overrides);
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${settingName(i.path)}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const cfg = parsed.data;
  if (!cfg.registry.pypiJsonApiUrl && /^https:\/\/pypi\.org\/simple$/.test(cfg.registry.pypiIndexUrl)) {
    cfg.registry.pypiJsonApiUrl = 'https://pypi.org/pypi';
  }
  return deepFreeze(cfg);
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
