/**
 * The dashboard's tools view and playground: a process's tools (with their schemas), resources and
 * prompts, asked through POST /processes/{id}/request with the signed-in key (its tool permissions and
 * tool pinning apply). A form is built from each tool's input schema; the result is shown as the
 * server gave it: text, images, embedded resources, structured content, or its error.
 */
let auth = () => ({});

const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
};

async function ask(processId, method, params = {}) {
  const res = await fetch(`/processes/${encodeURIComponent(processId)}/request`, {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/json' },
    body: JSON.stringify({ method, params }),
  });
  const body = await res.json();
  if (!res.ok) return { error: { message: `${body.code}: ${body.message}` } };
  return body;
}

/** An input for one schema property. */
function field(name, schema, required) {
  const id = `arg-${name}`;
  let input;
  if (Array.isArray(schema.enum)) {
    input = el('select', { id, 'data-kind': 'string' }, el('option', { value: '', text: '' }));
    for (const v of schema.enum) input.append(el('option', { value: String(v), text: String(v) }));
  } else if (schema.type === 'boolean') input = el('input', { id, type: 'checkbox', 'data-kind': 'boolean' });
  else if (schema.type === 'number' || schema.type === 'integer')
    input = el('input', {
      id,
      type: 'number',
      'data-kind': 'number',
      step: schema.type === 'integer' ? '1' : 'any',
    });
  else if (schema.type === 'string') input = el('input', { id, type: 'text', 'data-kind': 'string' });
  else input = el('textarea', { id, rows: '2', 'data-kind': 'json', placeholder: 'JSON' });
  input.dataset.name = name;
  const label = el('label', { for: id, text: `${name}${required ? ' *' : ''}` });
  if (schema.description) label.title = schema.description;
  return el('div', { class: 'arg' }, label, input);
}

/** The arguments a form holds (empty optional fields left out). */
function argsOf(form) {
  const args = {};
  for (const input of form.querySelectorAll('[data-name]')) {
    const kind = input.dataset.kind;
    if (kind === 'boolean') {
      args[input.dataset.name] = input.checked;
      continue;
    }
    if (input.value === '') continue;
    args[input.dataset.name] =
      kind === 'number' ? Number(input.value) : kind === 'json' ? JSON.parse(input.value) : input.value;
  }
  return args;
}

/** A result as the server gave it. */
function resultView(answer) {
  const box = el('div', { class: 'result' });
  if (answer.error) {
    box.append(
      el('pre', { class: 'error', text: `${answer.error.code ?? ''} ${answer.error.message}`.trim() }),
    );
    return box;
  }
  const r = answer.result ?? {};
  if (r.isError) box.classList.add('is-error');
  for (const item of r.content ?? r.contents ?? r.messages?.map((m) => m.content) ?? []) {
    if (item.type === 'image' && typeof item.data === 'string')
      box.append(el('img', { src: `data:${item.mimeType};base64,${item.data}`, alt: 'image result' }));
    else if (item.type === 'text' || typeof item.text === 'string')
      box.append(el('pre', { text: item.text }));
    else box.append(el('pre', { text: JSON.stringify(item, null, 2) }));
  }
  if (r.structuredContent !== undefined)
    box.append(el('pre', { class: 'structured', text: JSON.stringify(r.structuredContent, null, 2) }));
  if (!box.childElementCount) box.append(el('pre', { text: JSON.stringify(r, null, 2) }));
  return box;
}

function toolView(processId, tool) {
  const schema = tool.inputSchema ?? {};
  const required = new Set(schema.required ?? []);
  const form = el('form', { class: 'playground' });
  for (const [name, s] of Object.entries(schema.properties ?? {}))
    form.append(field(name, s, required.has(name)));
  const out = el('div');
  form.append(el('button', { type: 'submit', text: 'call' }), out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let args;
    try {
      args = argsOf(form);
    } catch (err) {
      out.replaceChildren(el('pre', { class: 'error', text: `arguments: ${err.message}` }));
      return;
    }
    out.replaceChildren(el('p', { text: 'calling …' }));
    out.replaceChildren(resultView(await ask(processId, 'tools/call', { name: tool.name, arguments: args })));
  });
  return el(
    'details',
    { class: 'tool', 'data-tool': tool.name },
    el('summary', {}, el('b', { text: tool.name }), ` ${tool.description ?? ''}`),
    el('pre', { class: 'schema', text: JSON.stringify(schema, null, 2) }),
    form,
  );
}

function readableView(processId, kind, item) {
  const out = el('div');
  const button = el('button', { type: 'button', text: kind === 'resource' ? 'read' : 'get' });
  button.addEventListener('click', async () => {
    const answer =
      kind === 'resource'
        ? await ask(processId, 'resources/read', { uri: item.uri })
        : await ask(processId, 'prompts/get', { name: item.name, arguments: {} });
    out.replaceChildren(resultView(answer));
  });
  return el(
    'li',
    {},
    el('b', { text: item.name ?? item.uri }),
    ` ${item.uri ?? item.description ?? ''} `,
    button,
    out,
  );
}

/** Shows a process's tools, resources and prompts in the #tools section. */
export async function openTools(p, authHeaders) {
  auth = authHeaders;
  const section = document.getElementById('tools');
  document.getElementById('tools-for').textContent = `${p.packageName}@${p.version}`;
  const list = document.getElementById('tools-list');
  list.replaceChildren(el('p', { text: 'asking …' }));
  section.hidden = false;
  const [tools, resources, prompts] = await Promise.all([
    ask(p.id, 'tools/list'),
    ask(p.id, 'resources/list'),
    ask(p.id, 'prompts/list'),
  ]);
  list.replaceChildren();
  if (tools.error) list.append(el('pre', { class: 'error', text: tools.error.message }));
  for (const tool of tools.result?.tools ?? []) list.append(toolView(p.id, tool));
  const res = resources.result?.resources ?? [];
  if (res.length)
    list.append(
      el('h3', { text: 'Resources' }),
      el('ul', {}, ...res.map((r) => readableView(p.id, 'resource', r))),
    );
  const pr = prompts.result?.prompts ?? [];
  if (pr.length)
    list.append(
      el('h3', { text: 'Prompts' }),
      el('ul', {}, ...pr.map((x) => readableView(p.id, 'prompt', x))),
    );
}
