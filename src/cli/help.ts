/** @module The `--help` text: the commands, then every setting with its flag, variable and default. */
import { type Config, loadConfig } from '../config/config.js';
import { flagOf, SETTINGS } from '../config/settings.js';

const COMMANDS = `Usage:
  mcp-registry-server [serve] [--flag value ...]    serve the gateway (the default command)
  mcp-registry-server install <spec> [<spec> ...]    install packages into the store before going live
  mcp-registry-server api-key <id> [user|admin]      make an API key and its entry for API_KEYS
  mcp-registry-server oauth-user <name> [user|admin] an OAUTH_USERS entry (password on stdin, or made)
  mcp-registry-server --help | --version

A spec is what follows /package/ in a URL: firecrawl-mcp, firecrawl-mcp@3.26.0, pypi:mcp-server-time.`;

function show(value: unknown): string {
  if (value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.length ? value.join(',') : '-';
  return String(value);
}

/**
 * The help text, with the values in effect (`config`: from the environment, the flags and npm's and
 * pip's configuration), or the defaults when the configuration is not valid.
 */
export function helpText(version: string, config?: Config): string {
  const defaults = (config ?? loadConfig({})) as unknown as Record<string, Record<string, unknown>>;
  const rows = SETTINGS.map((s) => ({
    section: s.path[0],
    flag: `--${flagOf(s)}`,
    env: s.env,
    value:
      s.secret && defaults[s.path[0]]?.[s.path[1]] !== undefined
        ? '***'
        : show(defaults[s.path[0]]?.[s.path[1]]),
  }));
  const width = Math.max(...rows.map((r) => r.flag.length));
  const envWidth = Math.max(...rows.map((r) => r.env.length));
  const lines: string[] = [];
  let section = '';
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      lines.push('', `  ${section}`);
    }
    lines.push(`    ${r.flag.padEnd(width)}  ${r.env.padEnd(envWidth)}  ${r.value}`);
  }
  return `mcp-registry-server ${version}: install, launch and manage npm and PyPI MCP servers by URL.

${COMMANDS}

Settings: flag, environment variable, value in effect here (from the environment, the flags, and npm's
and pip's own configuration; durations in ms, sizes in bytes). A flag wins over the variable;
--flag=value works for every setting. docs/configuration.md explains each one.
${lines.join('\n')}
`;
}
