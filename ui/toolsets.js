// The toolsets: every signed-in caller sees them (parameter values masked), opens their tools in the
// playground (through the toolset's own MCP endpoint) and gets their client configurations; admins
// define, change and remove them here. A parameter left as *** keeps its stored value.
import { showClientConfig } from './client-config.js';
import { toolsetAsker } from './requests.js';
import { openTools } from './tools.js';

const $ = (id) => document.getElementById(id);
let auth = () => ({});
let admin = false;

const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') e.textContent = v;
    else if (k === 'value') e.value = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
};

const button = (label, onClick) => {
  const b = el('button', { type: 'button', text: label });
  b.addEventListener('click', onClick);
  return b;
};

/** The servers of a toolset as one line each: alias = package [tools]. */
const serversText = (t) =>
  t.servers.map((s) => `${s.alias} = ${s.package}${s.tools ? ` [${s.tools.join(', ')}]` : ''}`).join('\n');

export async function refreshToolsets(isAdmin = admin) {
  admin = isAdmin;
  $('toolset-new').hidden = !admin;
  const res = await fetch('/toolsets', { headers: auth() });
  if (!res.ok) return;
  const { toolsets } = await res.json();
  const body = $('toolsets-table').tBodies[0];
  body.replaceChildren();
  for (const t of toolsets) {
    const row = body.insertRow();
    row.dataset.name = t.name;
    const openTo = t.principals ? `open to ${t.principals.join(', ')}` : '';
    row
      .insertCell()
      .append(
        el('b', { text: t.name }),
        el('div', { class: 'muted', text: t.description ?? '' }),
        el('div', { class: 'muted open-to', text: openTo }),
      );
    row.insertCell().append(el('pre', { class: 'servers', text: serversText(t) }));
    row.insertCell().append(`${t.updatedBy}, ${new Date(t.updatedAt).toLocaleString()}`);
    const actions = row.insertCell();
    actions.append(
      button('tools', () => openTools({ label: `toolset ${t.name}`, ask: toolsetAsker(t.name, auth) })),
      button('config', () => void openConfig(t.name)),
    );
    if (admin)
      actions.append(
        button('edit', () => edit(t)),
        button('delete', () => void remove(t.name)),
      );
  }
  $('toolsets-empty').hidden = toolsets.length > 0;
}

async function openConfig(name) {
  const res = await fetch(`/toolsets/${encodeURIComponent(name)}/client-config`, { headers: auth() });
  if (res.ok) showClientConfig(`toolset ${name}`, await res.json());
}

async function remove(name) {
  if (!confirm(`Remove toolset ${name}? Its sessions end.`)) return;
  await fetch(`/toolsets/${encodeURIComponent(name)}`, { method: 'DELETE', headers: auth() });
  await refreshToolsets();
}

/** A server's row in the editor. */
function serverRow(s = {}) {
  const params = Object.entries(s.params ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  return el(
    'fieldset',
    { class: 'toolset-server' },
    el('input', { class: 'ts-alias', placeholder: 'alias (ev)', value: s.alias ?? '', required: '' }),
    el('input', {
      class: 'ts-package',
      placeholder: 'package (@modelcontextprotocol/server-everything)',
      value: s.package ?? '',
      required: '',
    }),
    el('input', {
      class: 'ts-tools',
      placeholder: 'tools: echo, get-* (empty: all)',
      value: (s.tools ?? []).join(', '),
    }),
    el(
      'textarea',
      {
        class: 'ts-params',
        rows: '2',
        placeholder: 'parameters, name=value per line (*** keeps a stored value)',
      },
      params,
    ),
    button('remove', (e) => e.target.closest('fieldset').remove()),
  );
}

function edit(t = { name: '', servers: [{}] }) {
  $('ts-name').value = t.name;
  $('ts-name').readOnly = !!t.name;
  $('ts-description').value = t.description ?? '';
  $('ts-principals').value = (t.principals ?? []).join(', ');
  $('ts-servers').replaceChildren(...t.servers.map((s) => serverRow(s)));
  $('ts-error').textContent = '';
  $('toolset-editor').hidden = false;
}

/** The items of a comma-separated field. */
const listOf = (text) =>
  text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** The definition the editor holds, as PUT /toolsets/{name} takes it. */
function definition() {
  const servers = [...document.querySelectorAll('#ts-servers .toolset-server')].map((f) => {
    const tools = listOf(f.querySelector('.ts-tools').value);
    const params = {};
    for (const line of f.querySelector('.ts-params').value.split('\n')) {
      const at = line.indexOf('=');
      if (at > 0) params[line.slice(0, at).trim()] = line.slice(at + 1);
    }
    return {
      alias: f.querySelector('.ts-alias').value.trim(),
      package: f.querySelector('.ts-package').value.trim(),
      params,
      ...(tools.length ? { tools } : {}),
    };
  });
  const description = $('ts-description').value.trim();
  const principals = listOf($('ts-principals').value);
  return {
    servers,
    ...(description ? { description } : {}),
    ...(principals.length ? { principals } : {}),
  };
}

async function save(event) {
  event.preventDefault();
  const name = $('ts-name').value.trim();
  const res = await fetch(`/toolsets/${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { ...auth(), 'content-type': 'application/json' },
    body: JSON.stringify(definition()),
  });
  if (!res.ok) {
    const body = await res.json();
    $('ts-error').textContent = `${body.code}: ${body.message}`;
    return;
  }
  $('toolset-editor').hidden = true;
  await refreshToolsets();
}

export function initToolsets(authHeaders) {
  auth = authHeaders;
  $('toolset-new').addEventListener('click', () => edit());
  $('ts-add-server').addEventListener('click', () => $('ts-servers').append(serverRow()));
  $('ts-cancel').addEventListener('click', () => {
    $('toolset-editor').hidden = true;
  });
  $('toolset-editor').addEventListener('submit', (e) => void save(e));
}
