// How the dashboard asks an MCP server something with the signed-in key: a process through
// POST /processes/{id}/request, a toolset through its own MCP endpoint as a 2026-07-28 client (one
// stateless request each). Either way the caller's tool permissions and tool pinning apply, and a tool
// call's progress is streamed (server-sent events) to `onProgress`.

/** Calls `onEvent(type, data)` for each server-sent event of a fetch response, until it ends. */
export async function readEvents(res, onEvent) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim())
        .join('\n');
      if (data) onEvent(/^event: (.*)$/m.exec(block)?.[1] ?? 'message', JSON.parse(data));
    }
  }
}

const refused = async (res) => {
  const body = await res.json().catch(() => ({}));
  return { error: { message: `${body.code ?? res.status}: ${body.message ?? res.statusText}` } };
};

/** Asks process `id`: `{result}` or `{error}`. */
export function processAsker(id, auth) {
  return async (method, params = {}, onProgress) => {
    const res = await fetch(`/processes/${encodeURIComponent(id)}/request`, {
      method: 'POST',
      headers: {
        ...auth(),
        'content-type': 'application/json',
        accept: onProgress ? 'text/event-stream' : 'application/json',
      },
      body: JSON.stringify({ method, params }),
    });
    if (!res.ok) return refused(res);
    if (!onProgress) return res.json();
    let answer = { error: { message: 'the stream ended without an answer' } };
    await readEvents(res, (type, data) => {
      if (type === 'progress') onProgress(data);
      else if (type === 'result') answer = data;
    });
    return answer;
  };
}

const MODERN = '2026-07-28';
const NAMED = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };
/** A header value any name can take (spec 2026-07-28: the base64 sentinel form). */
const headerValue = (v) => `=?base64?${btoa(String.fromCodePoint(...new TextEncoder().encode(v)))}?=`;
let nextId = 1;

/** Asks toolset `name` at its MCP endpoint, statelessly (2026-07-28). */
export function toolsetAsker(name, auth) {
  return async (method, params = {}, onProgress) => {
    const id = nextId++;
    const _meta = {
      'io.modelcontextprotocol/protocolVersion': MODERN,
      'io.modelcontextprotocol/clientInfo': { name: 'mcp-registry-server dashboard', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
      ...(onProgress ? { progressToken: `dash-${id}` } : {}),
    };
    const named = NAMED[method];
    const res = await fetch(`/toolsets/${encodeURIComponent(name)}/mcp`, {
      method: 'POST',
      headers: {
        ...auth(),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN,
        'mcp-method': method,
        ...(named ? { 'mcp-name': headerValue(String(params[named] ?? '')) } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta } }),
    });
    if (!res.ok && !(res.headers.get('content-type') ?? '').includes('json')) return refused(res);
    if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      const body = await res.json();
      return body.jsonrpc ? body : { error: { message: `${body.code}: ${body.message}` } };
    }
    let answer = { error: { message: 'the stream ended without an answer' } };
    await readEvents(res, (_type, m) => {
      if (m.method === 'notifications/progress') onProgress?.(m.params);
      else if (m.id === id) answer = m;
    });
    return answer;
  };
}
