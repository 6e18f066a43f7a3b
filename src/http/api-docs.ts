/** @module The API description served at GET / (JSON for programs, HTML for browsers). */

export const API_DOCS = {
  name: 'mcp-registry-server',
  description: 'Install, launch and manage any npm or PyPI MCP server by URL.',
  dashboard: '/dashboard',
  authentication:
    'With API keys configured, every endpoint but /health needs Authorization: Bearer <key> (or X-API-Key). Users see their own processes and sessions; admins see all and read /metrics.',
  endpoints: [
    {
      method: 'GET',
      path: '/package/{packageName}[@{version}]/stdio?{parameters}',
      description:
        'Resolve, install (once) and launch the MCP server, or reuse the running one; answers its process info.',
    },
    {
      method: 'POST, GET, DELETE',
      path: '/package/{packageName}[@{version}]/mcp?{parameters}',
      description:
        'Streamable HTTP for MCP clients: 2025-era sessions (initialize, Mcp-Session-Id) and stateless 2026-07-28 requests. Sessions of one caller share its child of the configuration; ?mode=isolated gives a session its own.',
    },
    {
      method: 'GET, POST',
      path: '/package/{packageName}[@{version}]/sse?{parameters}',
      description:
        'The legacy HTTP+SSE transport (2024-11-05): GET opens the stream; POST ?sessionId= sends messages.',
    },
    {
      method: 'GET',
      path: '/sessions',
      description: 'Live MCP sessions (in cluster mode of every instance; ?scope=local: this one).',
    },
    {
      method: 'GET',
      path: '/v0.1/servers[?cursor&limit&search&updated_since&version=latest]',
      description:
        'MCP Registry API (read side): the installed servers as server.json entries whose remotes are this gateway; also /v0.1/servers/{name}/versions[/{version|latest}].',
    },
    {
      method: 'GET',
      path: '/health',
      description:
        'Status, uptime, version, process counts, store size, sandbox mode, the memory-limit mechanism in force and auth mode (no key needed).',
    },
    {
      method: 'GET',
      path: '/processes',
      description:
        'Every managed process, secrets masked (in cluster mode of every instance; ?scope=local: this one).',
    },
    { method: 'GET', path: '/processes/{id}', description: 'One process.' },
    { method: 'DELETE', path: '/processes/{id}', description: 'Stop one process.' },
    {
      method: 'GET',
      path: '/processes/{id}/logs (also /logs/{id})',
      description:
        "The process's recent stderr (lines) and, apart, its stdout lines that were no MCP message (stdout); ?lines=N.",
    },
    { method: 'GET', path: '/metrics', description: 'Prometheus metrics (admins).' },
  ],
  packageNames: [
    'firecrawl-mcp',
    '@supabase/mcp-server-supabase',
    'awslabs.openapi-mcp-server',
    'npm:NAME or pypi:NAME to skip detection',
  ],
  versions: [
    'latest (default)',
    '1.2.3',
    '^1.2.0',
    '~1.2.0',
    'any npm range',
    'PyPI: PEP 440 (==1.2.*, >=1.0,<2)',
  ],
  parameterMapping: {
    apiKey: 'API_KEY',
    myCustomParam: 'MY_CUSTOM_PARAM',
    snake_case_param: 'SNAKE_CASE_PARAM',
    'kebab-case-param': 'KEBAB_CASE_PARAM',
    args: 'command-line arguments after the entry point (split like a shell, never run by one)',
    'X-MCP-Env-NAME header':
      'NAME (configuration without secrets in URLs); X-MCP-Args and X-MCP-Mode likewise',
  },
  examples: [
    'curl "http://localhost:3000/package/@modelcontextprotocol/server-everything/stdio"',
    'curl "http://localhost:3000/package/firecrawl-mcp@latest/stdio?firecrawlApiKey=YOUR_KEY"',
    'curl "http://localhost:3000/package/@supabase/mcp-server-supabase@^0.5.0/stdio?supabaseAccessToken=TOKEN&args=--read-only"',
    'curl "http://localhost:3000/package/pypi:awslabs.openapi-mcp-server/stdio?apiName=petstore"',
    'npx @modelcontextprotocol/inspector --cli http://localhost:3000/package/@modelcontextprotocol/server-everything/mcp --transport http --method tools/list',
  ],
} as const;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The examples with the base URL clients use for this gateway (PUBLIC_URL, or the request's origin). */
export function examplesFor(base: string): string[] {
  return API_DOCS.examples.map((e) => e.replaceAll('http://localhost:3000', base.replace(/\/+$/, '')));
}

/** A small self-contained HTML page of the same content. */
export function renderDocsHtml(version: string, base: string): string {
  const rows = API_DOCS.endpoints
    .map(
      (e) =>
        `<tr><td><code>${e.method}</code></td><td><code>${esc(e.path)}</code></td><td>${esc(e.description)}</td></tr>`,
    )
    .join('');
  const mapping = Object.entries(API_DOCS.parameterMapping)
    .map(([k, v]) => `<tr><td><code>${esc(k)}</code></td><td><code>${esc(v)}</code></td></tr>`)
    .join('');
  const examples = examplesFor(base)
    .map((e) => `<pre>${esc(e)}</pre>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mcp-registry-server</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}td{padding:.2rem .6rem;vertical-align:top}pre{background:#f4f4f4;padding:.5rem;overflow:auto}code{background:#f4f4f4}</style>
</head><body><h1>mcp-registry-server <small>${esc(version)}</small></h1><p>${esc(API_DOCS.description)}</p>
<p><strong><a href="/dashboard">The dashboard</a></strong>: processes, sessions, trust, tool changes, and a form to launch a package.</p>
<h2>Endpoints</h2><table>${rows}</table><h2>Parameter mapping</h2><table>${mapping}</table><h2>Examples</h2>${examples}
<p>Errors are JSON with <code>error</code>, <code>code</code>, <code>message</code> and <code>guidance</code>. <code>Accept: application/json</code> gives this page as JSON.</p></body></html>`;
}
