/**
 * The dashboard's tools view and playground, for a process or a toolset (requests.js asks either with
 * the signed-in key: its tool permissions and tool pinning apply): its tools with their schemas, its
 * resources, resource templates and prompts. A form is built from each tool's input schema (and from a
 * prompt's arguments, a template's variables); a tool call shows its progress as it comes, then the
 * result as the server gave it: text, images, embedded resources, structured content, or its error.
 */
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
};

let nextField = 1;

/** An input for one schema property. */
function field(name, schema, required) {
  const id = `arg-${nextField++}-${name}`;
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

/** A progress line for a call in flight: the bar when the server says how far it is, and its message. */
function progressView(p) {
  const bar = el('progress', { class: 'call-progress' });
  bar.value = Number(p.progress ?? 0);
  if (p.total !== undefined) bar.max = Number(p.total);
  else bar.removeAttribute('value');
  const label = `${p.progress ?? ''}${p.total !== undefined ? ` / ${p.total}` : ''} ${p.message ?? ''}`;
  return el('div', { class: 'progress-line' }, bar, el('span', { text: label.trim() }));
}

/** A form of `fields` ([name, schema, required]) that runs `run(args, out)` on submit. */
function formOf(fields, buttonText, run) {
  const form = el('form', { class: 'playground' });
  for (const [name, s, required] of fields) form.append(field(name, s, required));
  const out = el('div');
  form.append(el('button', { type: 'submit', text: buttonText }), out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let args;
    try {
      args = argsOf(form);
    } catch (err) {
      out.replaceChildren(el('pre', { class: 'error', text: `arguments: ${err.message}` }));
      return;
    }
    out.replaceChildren(el('p', { text: 'asking …' }));
    await run(args, out);
  });
  return form;
}

function toolView(ask, tool) {
  const schema = tool.inputSchema ?? {};
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(([n, s]) => [n, s, required.has(n)]);
  const form = formOf(fields, 'call', async (args, out) => {
    const onProgress = (p) => out.replaceChildren(progressView(p));
    out.replaceChildren(
      resultView(await ask('tools/call', { name: tool.name, arguments: args }, onProgress)),
    );
  });
  return el(
    'details',
    { class: 'tool', 'data-tool': tool.name },
    el('summary', {}, el('b', { text: tool.name }), ` ${tool.description ?? ''}`),
    el('pre', { class: 'schema', text: JSON.stringify(schema, null, 2) }),
    form,
  );
}

const STRING = { type: 'string' };
/** The variables of a URI template (RFC 6570 expressions, operators left out). */
const variablesOf = (template) =>
  [...template.matchAll(/\{[+#./;?&]?([^}]+)\}/g)].flatMap((m) =>
    m[1].split(',').map((v) => v.replace(/\*$/, '')),
  );
const expand = (template, args) =>
  template.replace(/\{[+#./;?&]?([^}]+)\}/g, (_all, names) =>
    names
      .split(',')
      .map((n) => encodeURIComponent(String(args[n.replace(/\*$/, '')] ?? '')))
      .join(','),
  );

/** A resource (read), a resource template (its variables, then read) or a prompt (its arguments, then get). */
function readableView(ask, kind, item) {
  const fields =
    kind === 'template'
      ? variablesOf(item.uriTemplate).map((v) => [v, STRING, true])
      : kind === 'prompt'
        ? (item.arguments ?? []).map((a) => [a.name, { ...STRING, description: a.description }, !!a.required])
        : [];
  const form = formOf(fields, kind === 'prompt' ? 'get' : 'read', async (args, out) => {
    const answer =
      kind === 'prompt'
        ? await ask('prompts/get', { name: item.name, arguments: args })
        : await ask('resources/read', {
            uri: kind === 'template' ? expand(item.uriTemplate, args) : item.uri,
          });
    out.replaceChildren(resultView(answer));
  });
  return el(
    'li',
    { 'data-name': item.name ?? item.uri },
    el('b', { text: item.name ?? item.uri }),
    ` ${item.uriTemplate ?? item.uri ?? item.description ?? ''} `,
    form,
  );
}

/** Shows the tools, resources, templates and prompts of `target` ({label, ask}) in the #tools section. */
export async function openTools(target) {
  const { ask } = target;
  const section = document.getElementById('tools');
  document.getElementById('tools-for').textContent = target.label;
  const list = document.getElementById('tools-list');
  list.replaceChildren(el('p', { text: 'asking …' }));
  section.hidden = false;
  const [tools, resources, templates, prompts] = await Promise.all([
    ask('tools/list'),
    ask('resources/list'),
    ask('resources/templates/list'),
    ask('prompts/list'),
  ]);
  list.replaceChildren();
  if (tools.error) list.append(el('pre', { class: 'error', text: tools.error.message }));
  for (const tool of tools.result?.tools ?? []) list.append(toolView(ask, tool));
  const groups = [
    ['Resources', 'resource', resources.result?.resources],
    ['Resource templates', 'template', templates.result?.resourceTemplates],
    ['Prompts', 'prompt', prompts.result?.prompts],
  ];
  for (const [title, kind, items] of groups)
    if (items?.length)
      list.append(el('h3', { text: title }), el('ul', {}, ...items.map((x) => readableView(ask, kind, x))));
}
