/**
 * @module Maps request parameters to a child's environment variables (pure): `apiKey` -> `API_KEY`,
 * with the name pattern, a denylist of variables that change how a runtime loads code, and size limits.
 */
import { GatewayError } from '../errors/gateway-error.js';

/** Valid environment variable names (POSIX portable set, upper case). */
export const ENV_NAME_PATTERN = /^[A-Z_][A-Z0-9_]*$/;
/** Query parameter names accepted before mapping. */
const PARAM_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

/**
 * Exact names a request may not set: they load code, change the search path or the child's private
 * directories, or reconfigure an installer the child might call.
 */
const DENIED_NAMES = new Set([
  'PATH',
  'HOME',
  'TMPDIR',
  'TMP',
  'TEMP',
  'SHELL',
  'ENV',
  'BASH_ENV',
  'IFS',
  'PS4',
  'PROMPT_COMMAND',
  'SHELLOPTS',
  'BASHOPTS',
  'CDPATH',
  'RUBYOPT',
  'RUBYLIB',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'CLASSPATH',
  'GCONV_PATH',
  'GLIBC_TUNABLES',
  'OPENSSL_CONF',
  'OPENSSL_ENGINES',
  // OpenSSL 3 loads providers (shared objects) from here.
  'OPENSSL_MODULES',
  // The resolver: host aliases from a file of the caller's choice, resolver options and search domains
  // (resolv.conf(5), hostname(7)) would redirect the child's connections.
  'HOSTALIASES',
  'RES_OPTIONS',
  'LOCALDOMAIN',
  // zsh reads its startup files from here; the XDG config root holds the configuration many tools load
  // and run (git hooks via core.hooksPath, npm and pip config, shell rc files).
  'ZDOTDIR',
  'XDG_CONFIG_HOME',
  // corepack downloads and runs package managers from here.
  'COREPACK_HOME',
  'ELECTRON_RUN_AS_NODE',
  'VIRTUAL_ENV',
  'PERLLIB',
  'LOCPATH',
  'NLSPATH',
]);
/** Name prefixes a request may not set. */
const DENIED_PREFIXES = [
  'LD_',
  'DYLD_',
  'PYTHON',
  'PERL5',
  'NPM_CONFIG_',
  'PIP_',
  'UV_',
  'CONDA_',
  'GIT_',
  'BUN_',
  'DENO_',
];
/** NODE_* is denied except these harmless ones. */
const NODE_ALLOWED = new Set(['NODE_ENV', 'NODE_NO_WARNINGS']);

/** Query parameters with a meaning of their own (never turned into environment variables). */
export const RESERVED_PARAMS = new Set(['args', 'mode']);

/**
 * Converts a parameter name to an environment variable name:
 * camelCase and acronyms split on case changes, `-` becomes `_`, all upper case.
 * `apiKey` -> `API_KEY`, `firecrawlAPIKey` -> `FIRECRAWL_API_KEY`, `kebab-case-param` -> `KEBAB_CASE_PARAM`.
 */
export function toEnvName(param: string): string {
  return param
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toUpperCase();
}

/** Why `name` is denied, or undefined when a request may set it. */
export function deniedReason(name: string): string | undefined {
  if (DENIED_NAMES.has(name))
    return `${name} is set by the gateway or changes how programs are found or loaded`;
  if (name.startsWith('NODE_') && !NODE_ALLOWED.has(name))
    return `${name} changes how Node.js loads and runs code`;
  const prefix = DENIED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix) return `${prefix}* variables change how a runtime or installer loads code`;
  return undefined;
}

export interface EnvLimits {
  /** Longest value in bytes. */
  maxValueBytes: number;
  /** Most parameters in one request. */
  maxParams: number;
}

/**
 * Maps query parameters (already split into pairs, duplicates included) to environment variables.
 * Reserved parameters are skipped. Throws INVALID_PARAMETER or ENV_NAME_DENIED.
 */
export function mapParamsToEnv(
  pairs: ReadonlyArray<[string, string]>,
  limits: EnvLimits,
): Record<string, string> {
  if (pairs.length > limits.maxParams) {
    throw new GatewayError(
      'INVALID_PARAMETER',
      `Too many parameters (${pairs.length}; at most ${limits.maxParams}).`,
      { maxValueBytes: limits.maxValueBytes },
    );
  }
  const env: Record<string, string> = {};
  const seenParams = new Set<string>();
  for (const [param, value] of pairs) {
    if (seenParams.has(param)) throw paramError(param, `'${param}' is given more than once`, limits);
    seenParams.add(param);
    if (RESERVED_PARAMS.has(param)) continue;
    if (!PARAM_NAME_PATTERN.test(param))
      throw paramError(param, `'${truncate(param)}' is not a valid parameter name`, limits);
    const name = toEnvName(param);
    if (!ENV_NAME_PATTERN.test(name))
      throw paramError(param, `'${param}' maps to '${name}', which is not a valid variable name`, limits);
    const denied = deniedReason(name);
    if (denied) {
      throw new GatewayError(
        'ENV_NAME_DENIED',
        `Parameter '${param}' would set ${name}, which is not allowed: ${denied}.`,
        { envName: name, parameter: param },
      );
    }
    if (name in env) throw paramError(param, `two parameters map to ${name}`, limits);
    if (value.includes('\0'))
      throw paramError(param, `the value of '${param}' contains a NUL character`, limits);
    if (Buffer.byteLength(value) > limits.maxValueBytes)
      throw paramError(param, `the value of '${param}' is longer than ${limits.maxValueBytes} bytes`, limits);
    env[name] = value;
  }
  return env;
}

function paramError(param: string, why: string, limits: EnvLimits): GatewayError {
  return new GatewayError('INVALID_PARAMETER', `Invalid parameter: ${why}.`, {
    parameter: truncate(param),
    maxValueBytes: limits.maxValueBytes,
  });
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

const ENV_HEADER = 'x-mcp-env-';

/**
 * Configuration carried in headers, so secrets need not sit in URLs: `X-MCP-Env-FIRECRAWL_API_KEY: v`
 * gives FIRECRAWL_API_KEY (header names are case-insensitive, so the suffix is the variable name itself;
 * `-` becomes `_`), and `X-MCP-Args` gives args. The pairs then pass the same checks as query parameters.
 */
export function configFromHeaders(
  headers: Iterable<[string, string | string[] | undefined]>,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, raw] of headers) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    const lower = name.toLowerCase();
    if (lower.startsWith(ENV_HEADER))
      out.push([lower.slice(ENV_HEADER.length).replace(/-/g, '_').toUpperCase(), value]);
    else if (lower === 'x-mcp-args') out.push(['args', value]);
  }
  // In name order, whatever order the client sent them in (web Headers iterate sorted; Node's do not).
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Variables an operator may pass through although requests may not set them: they only add trust or routes. */
const PASSTHROUGH_SAFE = new Set(['NODE_EXTRA_CA_CERTS']);

/**
 * The operator's passthrough variables with their values from `env`.
 * @throws Error naming every listed variable that changes how code is loaded.
 */
export function passthroughEnv(names: readonly string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const refused = names.filter(
    (n) => !PASSTHROUGH_SAFE.has(n) && deniedReason(n.toUpperCase()) !== undefined,
  );
  if (refused.length > 0)
    throw new Error(
      `CHILD_ENV_PASSTHROUGH may not contain ${refused.join(', ')}: these change how programs are found or loaded.`,
    );
  const out: Record<string, string> = {};
  for (const n of names) if (env[n] !== undefined) out[n] = env[n] as string;
  return out;
}
