/**
 * @module What a person pastes into an MCP client to reach one gateway endpoint, for the clients people
 * use: Cursor (and Claude Desktop's remote servers) `mcpServers` JSON, VS Code's `servers` JSON, Claude
 * Desktop through mcp-remote, and Claude Code's `claude mcp add` line. Secrets are never in it: settings
 * the caller marked secret and the gateway's API key are placeholders (`<API_KEY>`, `<GATEWAY_API_KEY>`)
 * to fill in. Pure.
 */

export interface Endpoint {
  /** The server's name in the client (the package name without its scope, or the toolset's). */
  name: string;
  /** The Streamable HTTP URL. */
  url: string;
  /** Headers the client sends (X-MCP-Env-* settings; placeholders for secrets). */
  headers: Record<string, string>;
  /** API keys are on: the client must send one. */
  keysRequired: boolean;
}

export const KEY_PLACEHOLDER = '<GATEWAY_API_KEY>';

/** Single-quotes a word for a POSIX shell. */
function sh(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * A package's endpoint: its `/mcp` URL at `base`, and its settings as X-MCP-Env-* headers, masked
 * values (`***`) becoming placeholders.
 */
export function packageEndpoint(
  p: { packageName: string; version: string; env: Record<string, string> },
  base: string,
  keysRequired: boolean,
): Endpoint {
  return {
    name: p.packageName.replace(/^@[^/]+\//, ''),
    url: `${base.replace(/\/+$/, '')}/package/${p.packageName}@${p.version}/mcp`,
    headers: Object.fromEntries(
      Object.entries(p.env).map(([name, v]) => [`X-MCP-Env-${name}`, v === '***' ? `<${name}>` : v]),
    ),
    keysRequired,
  };
}

/** A toolset's endpoint: its `/mcp` URL at `base`; its servers' parameters stay in the gateway. */
export function toolsetEndpoint(name: string, base: string, keysRequired: boolean): Endpoint {
  return { name, url: `${base.replace(/\/+$/, '')}/toolsets/${name}/mcp`, headers: {}, keysRequired };
}

export function clientConfigs(e: Endpoint) {
  const headers = {
    ...(e.keysRequired ? { Authorization: `Bearer ${KEY_PLACEHOLDER}` } : {}),
    ...e.headers,
  };
  const withHeaders = Object.keys(headers).length > 0 ? { headers } : {};
  // mcp-remote takes `--header Name:value`; a value with spaces goes through an environment variable.
  const remoteArgs = ['-y', 'mcp-remote', e.url];
  const remoteEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (/\s/.test(value)) {
      const variable = `MCP_HEADER_${name.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`;
      remoteEnv[variable] = value;
      remoteArgs.push('--header', `${name}:\${${variable}}`);
    } else remoteArgs.push('--header', `${name}:${value}`);
  }
  const claudeCode = [
    'claude mcp add --transport http',
    sh(e.name),
    sh(e.url),
    ...Object.entries(headers).map(([name, value]) => `--header ${sh(`${name}: ${value}`)}`),
  ].join(' ');
  return {
    /** Cursor (~/.cursor/mcp.json) and other `mcpServers` clients that speak Streamable HTTP. */
    cursor: { mcpServers: { [e.name]: { url: e.url, ...withHeaders } } },
    /** VS Code (.vscode/mcp.json). */
    vscode: { servers: { [e.name]: { type: 'http', url: e.url, ...withHeaders } } },
    /** Claude Desktop (claude_desktop_config.json), through the mcp-remote bridge. */
    claudeDesktop: {
      mcpServers: {
        [e.name]: {
          command: 'npx',
          args: remoteArgs,
          ...(Object.keys(remoteEnv).length > 0 ? { env: remoteEnv } : {}),
        },
      },
    },
    /** Claude Code, one command line. */
    claudeCode,
  };
}
