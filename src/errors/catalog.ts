/**
 * @module The one table of error codes: each code's HTTP status, the `error` title users script against
 * (wording kept from the original registry server), Retry-After, JSON-RPC code and actionable guidance.
 * The access, policy and abuse rows live in security-catalog.ts; error-response.ts answers with it.
 */
import type { ErrorEntry } from './entry.js';
import { SECURITY_ENTRIES } from './security-catalog.js';

const EXAMPLES = [
  '/package/firecrawl-mcp/stdio',
  '/package/@modelcontextprotocol/server-everything@latest/stdio',
];
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export const CATALOG = {
  ...SECURITY_ENTRIES,
  INVALID_PACKAGE_SPEC: {
    status: 400,
    title: 'Invalid package name',
    guidance: (d) => ({
      whatYouTried: d.spec,
      requirements: [
        'A valid npm name (lowercase, optional @scope/) or PyPI name (letters, digits, . _ -)',
        'Optional @version: latest, 1.2.3, ^1.2.0, ~1.2.0, any npm range or PEP 440 specifier',
        'Optional prefix npm: or pypi: to skip detection',
      ],
      examples: EXAMPLES.map((e) => `✅ ${e}`),
    }),
  },
  REMOTE_NOT_SUPPORTED: {
    status: 400,
    title: 'Remote MCP servers not supported',
    guidance: (d) => ({
      whatYouTried: d.kind ?? 'Remote server URL',
      whatToDoInstead: [
        'Use installable MCP packages: /package/firecrawl-mcp/stdio',
        "Check if there's an npm or PyPI version of this MCP server",
        'For remote servers, connect directly in your MCP client configuration',
      ],
      examples: [
        ...EXAMPLES.map((e) => `✅ ${e}`),
        '❌ Remote URLs like https://mcp.webflow.com/sse',
        '❌ git specs, tarballs, file paths, npm aliases',
      ],
    }),
  },
  INVALID_VERSION_SPEC: {
    status: 400,
    title: 'Invalid version specifier',
    guidance: (d) => ({
      whatYouTried: d.version,
      accepted: [
        'latest (default) or another dist-tag',
        'exact 1.2.3',
        '^1.2.0',
        '~1.2.0',
        'npm ranges like >=1 <2',
        'PyPI: PEP 440 like ==1.2.*, >=1.0,<2',
      ],
    }),
  },
  INVALID_PROTOCOL: {
    status: 400,
    title: 'Invalid protocol',
    guidance: (d) => ({ supported: d.supported, examples: EXAMPLES }),
  },
  INVALID_PARAMETER: {
    status: 400,
    title: 'Invalid parameter',
    guidance: (d) => ({
      whatYouTried: d.parameter,
      ...(d.validValues ? { validValues: d.validValues } : {}),
      rules: [
        'Parameter names: letters, digits, _ and - (they become environment variables: apiKey -> API_KEY)',
        `Values: at most ${d.maxValueBytes ?? 'the configured'} bytes, no NUL characters`,
        'Each parameter at most once',
      ],
    }),
  },
  ENV_NAME_DENIED: {
    status: 400,
    title: 'Environment variable not allowed',
    guidance: (d) => ({
      whatYouTried: d.envName,
      why: 'Variables that change how a runtime loads code (NODE_OPTIONS, LD_PRELOAD, PYTHONPATH, PATH, HOME ...) would let a request run arbitrary code, so the gateway refuses them.',
      whatToDoInstead: [
        'Pass the server its own configuration (API keys, options) only',
        'Use args=... for command-line options of the server',
      ],
    }),
  },
  INVALID_ARGS: {
    status: 400,
    title: 'Invalid arguments',
    guidance: (d) => ({
      whatYouTried: d.args,
      rules: [
        'args is split like a shell splits words (quotes and backslashes work), but never run by a shell',
        'Nothing is expanded: $VAR, * and ; stay literal characters',
        'Close every quote',
      ],
      example: '?args=--tools%3Dall%20--read-only',
    }),
  },
  PACKAGE_NOT_FOUND: {
    status: 404,
    title: 'Package not found',
    guidance: (d) => ({
      whatYouTried: `Package: ${str(d.packageName)}`,
      searched: d.searched,
      suggestions: [
        'Check the package name spelling',
        'Verify the package exists on npmjs.com or pypi.org (or your configured registries)',
        'Try without version specifier first: /package/package-name/stdio',
        ...(Array.isArray(d.closest) && d.closest.length > 0
          ? [`Did you mean: ${d.closest.join(', ')}?`]
          : []),
      ],
    }),
  },
  VERSION_NOT_FOUND: {
    status: 404,
    title: 'Invalid package version',
    guidance: (d) => ({
      whatYouTried: `${str(d.packageName)}@${str(d.version)}`,
      availableVersions: d.availableVersions,
      suggestions: [
        `Use @latest: /package/${str(d.packageName)}@latest/stdio`,
        'Pick one of the available versions above',
      ],
    }),
  },
  QUALITY_CHECK_FAILED: {
    status: 403,
    title: 'Package quality check failed',
    guidance: (d) => ({
      whatYouTried: d.packageName,
      rule: d.rule,
      qualityRequirements: d.requirements,
      packageHas: d.actual,
      suggestions: [
        'Try a more popular alternative package',
        "Check the package's maintenance status",
        'Ask the operator to add the package to QUALITY_ALLOWLIST if you trust it',
      ],
    }),
  },
  PACKAGE_NOT_RUNNABLE: {
    status: 422,
    title: 'Package is not a runnable MCP server',
    guidance: (d) => ({
      whatYouTried: d.packageName,
      why: d.reason,
      entryPoints: d.entryPoints,
      suggestions: [
        'MCP servers ship a command: an npm "bin" or a Python console script',
        'Check the package README for the server package name',
      ],
    }),
  },
  REGISTRY_UNAVAILABLE: {
    status: 503,
    title: 'Package registry unavailable',
    guidance: (d) => ({
      registry: d.registry,
      suggestions: [
        'Try again in a moment',
        'Check the gateway registry settings (NPM_REGISTRY_URL, PYPI_INDEX_URL)',
      ],
    }),
  },
  INVALID_TOOLSET: {
    status: 400,
    title: 'Invalid toolset',
    guidance: (d) => ({
      field: d.field,
      ...(d.rule ? { rule: d.rule } : {}),
      example: {
        servers: [
          {
            alias: 'ev',
            package: '@modelcontextprotocol/server-everything',
            params: {},
            tools: ['echo', 'get-sum'],
          },
        ],
      },
    }),
  },
  TOOLSET_NOT_FOUND: {
    status: 404,
    title: 'Toolset not found',
    guidance: () => ({
      suggestion: 'GET /toolsets lists the toolsets; an admin defines one with PUT /toolsets/{name}',
    }),
  },
  TOOLSET_UNREADABLE: {
    status: 503,
    title: 'Toolset parameters unreadable',
    guidance: () => ({
      suggestion:
        "The toolset's parameters were sealed with another key: restore SECRETS_KEY (or <STORE_DIR>/secrets.key), or have an admin PUT the toolset again",
    }),
  },
  INDEX_UNREACHABLE: {
    status: 503,
    title: 'Package index unreachable',
    retryAfter: 30,
    guidance: (d) => ({
      unreachable: d.unreachable,
      ...(d.answered ? { answered: d.answered } : {}),
      suggestions: [
        'The package may be on the index that could not be reached: check this machine reaches it',
        'Or point the gateway at indexes it reaches: --pypi-index-url / PYPI_INDEX_URL and --pypi-extra-index-urls (pip.conf by default)',
        'Try again in a moment',
      ],
    }),
  },
  RUNTIME_NOT_AVAILABLE: {
    status: 503,
    title: 'Runtime not available',
    guidance: (d) => ({
      whatYouTried: `${str(d.packageType).toUpperCase()} package`,
      installation: d.installation,
    }),
  },
  INSTALL_FAILED: {
    status: 502,
    title: 'Package installation failed',
    guidance: (d) => ({
      whatYouTried: d.packageName,
      installerOutput: d.outputTail,
      suggestions: [
        'Try another version of the package',
        'Check that the package installs with its own registry client',
        'Ask the operator to check the gateway logs',
      ],
    }),
  },
  SERVER_START_FAILED: {
    status: 502,
    title: 'MCP server failed to start',
    guidance: (d) => ({
      stderrTail: d.stderrTail ?? [],
      // Lines the server wrote on stdout that are not MCP messages: some servers print their error there.
      stdoutTail: d.stdoutTail ?? [],
      commonCauses: [
        'Missing required environment variables (API keys, etc.)',
        'Package is not actually an MCP server',
        'Incompatible package version',
        'Network connectivity issues',
      ],
      suggestions: [
        'Check if required parameters are provided in URL query',
        'Try a different version of the package',
        'Verify this is actually an MCP server package',
      ],
    }),
  },
  PROCESS_LIMIT_REACHED: {
    status: 503,
    retryAfter: 30,
    title: 'Too many active processes',
    guidance: (d) => ({
      limit: d.limit,
      ...(d.scope ? { scope: d.scope, busy: d.busy } : {}),
      suggestion:
        d.scope === 'principal'
          ? 'Every process of yours is busy and the gateway is full: retry when one of your calls has finished, or stop one with DELETE /processes/{id}'
          : 'Every process is busy with a call in flight: retry after Retry-After, or ask the operator to raise MAX_PROCESSES',
    }),
  },
  HOST_MEMORY_LOW: {
    status: 503,
    retryAfter: 30,
    title: 'Host memory low',
    guidance: (d) => ({
      availableMb: d.availableMb,
      childMemoryMb: d.childMemoryMb,
      why: 'Children are capped one by one (RLIMIT_DATA) on this host, not together: a new one could drive the host out of memory',
      suggestion:
        'Retry after Retry-After, when other servers have stopped; the operator can stop idle servers, lower CHILD_MEMORY_MB, or run the gateway where cgroups work (root or a delegated cgroup)',
    }),
  },
  PROCESS_NOT_FOUND: {
    status: 404,
    title: 'Process not found',
    guidance: () => ({ suggestion: 'List running processes with GET /processes' }),
  },
  ROUTE_NOT_FOUND: {
    status: 404,
    title: 'Not found',
    guidance: () => ({ suggestion: 'See GET / for the API documentation', examples: EXAMPLES }),
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    title: 'Method not allowed',
    guidance: (d) => ({ allowed: d.allowed }),
  },
  MALFORMED_REQUEST: {
    status: 400,
    title: 'Malformed request',
    guidance: (d) =>
      d.part === 'body'
        ? {
            suggestion: 'Send one JSON-RPC 2.0 message (or a batch) as a JSON body',
            ...(d.maxDepth ? { maxDepth: d.maxDepth } : {}),
          }
        : { suggestion: 'Percent-encode special characters in the path and query (encodeURIComponent)' },
  },
  SERVER_NOT_FOUND: {
    status: 404,
    title: 'Server not found',
    guidance: () => ({
      suggestion:
        'GET /v0.1/servers lists the servers this gateway serves (installed packages); install one with GET /package/{spec}/stdio or mcp-registry-server install',
    }),
  },
  SESSION_NOT_FOUND: {
    status: 404,
    title: 'Session not found',
    guidance: () => ({
      suggestion: 'The session ended or never existed: send a new initialize request without Mcp-Session-Id',
    }),
  },
  CLUSTER_UNAVAILABLE: {
    status: 503,
    retryAfter: 5,
    title: 'Cluster state unavailable',
    guidance: (d) => ({
      ...(d.need ? { need: d.need } : {}),
      suggestion:
        d.reason === 'owner'
          ? 'The instance that holds this session did not answer: retry after Retry-After; if it keeps failing, start a new session (initialize without Mcp-Session-Id)'
          : "This needs the cluster's shared state (Redis), which is not reachable now: retry after Retry-After; sessions already open on this instance go on. Operators: check REDIS_URL and the Redis server",
      ...(d.local ? { thisInstanceOnly: d.local } : {}),
    }),
  },
  SESSION_REQUIRED: {
    status: 400,
    title: 'Missing session',
    guidance: () => ({
      suggestion: 'Start with an initialize request; send its Mcp-Session-Id header with every later request',
    }),
  },
  ORIGIN_NOT_ALLOWED: {
    status: 403,
    title: 'Origin not allowed',
    guidance: (d) => ({
      origin: d.origin,
      ...(d.site ? { secFetchSite: d.site } : {}),
      why: 'A web page may not launch, install, stop, read or open sessions on this gateway unless its origin is allowed (drive-by pages could otherwise run any package)',
      suggestion: d.registryApi
        ? 'To let a registry UI on this origin read /v0.1, ask the operator to add it to REGISTRY_API_CORS'
        : 'Use a non-browser MCP client, open the dashboard at /dashboard, or ask the operator to add this origin to ALLOWED_ORIGINS',
    }),
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    title: 'Request body too large',
    guidance: (d) => ({
      limitBytes: d.limit,
      suggestion: 'Send a smaller request, or ask the operator to raise MAX_BODY_BYTES',
    }),
  },
  INTERNAL_ERROR: {
    status: 500,
    title: 'Internal error',
    guidance: () => ({ suggestion: 'This is a gateway bug; the operator finds details in the logs' }),
  },
} satisfies Record<string, ErrorEntry>;

/** Every code the gateway can answer with. */
export type ErrorCode = keyof typeof CATALOG;
