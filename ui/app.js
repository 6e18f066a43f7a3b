// The dashboard's script (served as a file: the page's CSP allows no inline script). It reads
// /dashboard/events (snapshots as server-sent events) and acts through the ordinary API with the key
// the user signed in with (kept for this tab only, in sessionStorage).
import { redraw, renderCharts } from './charts.js';
import { showClientConfig } from './client-config.js';
import { processAsker, readEvents } from './requests.js';
import { openTools } from './tools.js';
import { initToolsets, refreshToolsets } from './toolsets.js';
import { refreshToolChanges, trustBadges } from './trust.js';

const $ = (id) => document.getElementById(id);
const KEY = 'mcp-registry-key';
let key = sessionStorage.getItem(KEY) ?? '';
let logsFor = null;

const auth = () => (key ? { authorization: `Bearer ${key}` } : {});
const text = (s) => document.createTextNode(String(s ?? ''));

function cell(row, value, className) {
  const td = row.insertCell();
  td.append(text(value));
  if (className) td.className = className;
  return td;
}

const mb = (bytes) => `${Math.round((bytes ?? 0) / 1048576)} MB`;
const duration = (s) =>
  s >= 3600 ? `${Math.floor(s / 3600)} h` : s >= 60 ? `${Math.floor(s / 60)} min` : `${s} s`;

function renderHealth(h, principal) {
  const el = $('health');
  el.replaceChildren();
  const items = [
    ['status', h.status],
    ['version', h.version],
    ['processes', `${h.processes.active} / ${h.processes.max}`],
    ['sessions', h.sessions],
    ['sandbox', h.sandbox.mode],
    ['memory limit', `${h.sandbox.memoryLimit.mechanism} ${h.sandbox.memoryLimit.memoryMb} MB`],
    ['store', `${mb(h.store.bytes)} in ${h.store.packages} packages`],
  ];
  // Cluster mode: every instance from its last heartbeat, and the totals.
  const c = h.cluster;
  if (c?.redis === 'unavailable') items.push(['cluster', 'Redis unreachable: this instance only']);
  if (c?.instances) {
    items.push([
      'cluster',
      `${c.total.instances} instances, ${c.total.processes} processes, ${c.total.sessions} sessions`,
    ]);
    for (const i of c.instances)
      items.push([
        `instance ${i.id}${i.id === c.self ? ' (this)' : ''}`,
        `${i.processes ?? 0} proc, ${i.sessions ?? 0} sess, ${i.requests ?? 0} req, ${i.forwardedIn ?? 0} fwd in`,
      ]);
  }
  for (const [k, v] of items) {
    const span = document.createElement('span');
    span.className = 'badge';
    span.append(text(`${k}: ${v}`));
    el.append(span, text(' '));
  }
  $('who').textContent = `${principal.id} (${principal.role})`;
}

function renderProcesses(list) {
  const body = $('processes').tBodies[0];
  body.replaceChildren();
  for (const p of list) {
    const row = body.insertRow();
    row.dataset.id = p.id;
    cell(row, p.id.slice(-12), 'mono');
    cell(row, p.packageName);
    cell(row, p.version);
    // Its settings, as the gateway shows them (secret values masked): what tells two processes apart.
    const env = Object.entries(p.connectionInfo?.env ?? {});
    cell(row, env.length ? env.map(([k, v]) => `${k}=${v}`).join(' ') : '–', 'settings');
    cell(row, p.status, `status-${p.status}`);
    cell(row, p.owner);
    cell(row, duration(p.uptimeSeconds));
    cell(row, mb(p.memoryBytes));
    cell(row, p.restarts);
    cell(row, p.sessions.length);
    cell(row, p.instance ?? 'this');
    row.insertCell().append(trustBadges(p));
    const actions = row.insertCell();
    const logs = document.createElement('button');
    logs.type = 'button';
    logs.textContent = 'logs';
    logs.addEventListener('click', () => openLogs(p.id));
    const tools = document.createElement('button');
    tools.type = 'button';
    tools.textContent = 'tools';
    tools.addEventListener('click', () =>
      openTools({ label: `${p.packageName}@${p.version}`, ask: processAsker(p.id, auth) }),
    );
    const config = document.createElement('button');
    config.type = 'button';
    config.textContent = 'config';
    config.addEventListener('click', () => openClientConfig(p));
    const stop = document.createElement('button');
    stop.type = 'button';
    stop.textContent = 'stop';
    stop.addEventListener('click', () => stopProcess(p.id));
    actions.append(tools, logs, config, stop);
  }
}

function renderSessions(list) {
  const body = $('sessions').tBodies[0];
  body.replaceChildren();
  for (const s of list) {
    const row = body.insertRow();
    cell(row, (s.id.split('.').pop() ?? s.id).slice(0, 8));
    cell(row, s.packageName);
    cell(row, s.transport);
    cell(row, s.mode);
    cell(row, s.owner);
    cell(row, new Date(s.lastActivity).toLocaleTimeString());
    cell(row, s.instance ?? 'this');
    const end = document.createElement('button');
    end.type = 'button';
    end.textContent = 'end';
    end.addEventListener('click', () => endSession(s.id));
    row.insertCell().append(end);
  }
}

/** The latest audit events (admins only: the snapshot carries none for users). */
function renderAudit(events) {
  $('audit-section').hidden = !events;
  if (!events) return;
  const body = $('audit').tBodies[0];
  body.replaceChildren();
  for (const e of events) {
    const row = body.insertRow();
    cell(row, new Date(e.at).toLocaleTimeString());
    cell(row, e.type);
    cell(row, e.principal ?? e.address ?? '');
    cell(row, e.package ? `${e.package}${e.version ? `@${e.version}` : ''}` : '');
    cell(row, e.tool ?? '');
    cell(row, `${e.outcome ?? ''}${e.ms !== undefined ? ` (${e.ms} ms)` : ''}`);
    cell(row, e.detail ?? '');
  }
}

function showLogin(message) {
  $('main').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message ?? '';
  $('live').textContent = 'signed out';
  $('live').className = 'badge bad';
}

/** Reads the snapshot stream (fetch, so the key can travel in a header; EventSource cannot send one). */
async function follow() {
  for (;;) {
    let res;
    try {
      res = await fetch('/dashboard/events', { headers: auth() });
    } catch {
      await new Promise((r) => setTimeout(r, 2000));
      continue;
    }
    if (res.status === 401 || res.status === 403) return showLogin(key ? 'That key was refused.' : '');
    $('login').hidden = true;
    $('main').hidden = false;
    $('live').textContent = 'live';
    $('live').className = 'badge ok';
    let first = true;
    await readEvents(res, (_type, snapshot) => {
      if (first) void refreshToolsets(snapshot.principal.role === 'admin');
      first = false;
      renderHealth(snapshot.health, snapshot.principal);
      renderProcesses(snapshot.processes);
      renderSessions(snapshot.sessions);
      renderAudit(snapshot.audit);
      // Admins (the only ones given the audit) see held tool changes while there are any.
      const pins = snapshot.processes.some((p) => p.toolPins?.held?.length);
      if (snapshot.audit && (pins || !$('tool-changes').hidden)) void refreshToolChanges(auth);
      renderCharts(snapshot);
      if (logsFor) void refreshLogs();
    });
    $('live').textContent = 'reconnecting…';
    $('live').className = 'badge bad';
  }
}

async function refreshLogs() {
  const res = await fetch(`/processes/${encodeURIComponent(logsFor)}/logs?lines=300`, { headers: auth() });
  const body = await res.json();
  const out = [...(body.lines ?? []), ...(body.stdout ?? []).map((l) => `[stdout] ${l}`)];
  $('logs-text').textContent = res.ok ? out.join('\n') : body.message;
}

function openLogs(id) {
  logsFor = id;
  $('logs-id').textContent = id;
  $('logs').hidden = false;
  void refreshLogs();
}

async function endSession(id) {
  await fetch(`/sessions/${encodeURIComponent(id)}`, { method: 'DELETE', headers: auth() });
}

async function stopProcess(id) {
  const res = await fetch(`/processes/${encodeURIComponent(id)}`, { method: 'DELETE', headers: auth() });
  if (!res.ok) alert((await res.json()).message);
}

function addParam() {
  const row = document.createElement('div');
  const name = Object.assign(document.createElement('input'), {
    placeholder: 'name (apiKey)',
    className: 'param-name',
  });
  const value = Object.assign(document.createElement('input'), {
    placeholder: 'value',
    className: 'param-value',
  });
  const secretLabel = document.createElement('label');
  const secret = Object.assign(document.createElement('input'), {
    type: 'checkbox',
    className: 'param-secret',
  });
  secret.addEventListener('change', () => {
    value.type = secret.checked ? 'password' : 'text';
  });
  secretLabel.append(secret, text(' secret (sent as a header, never in the URL)'));
  row.append(name, text(' '), value, text(' '), secretLabel);
  $('params').append(row);
}

const envName = (param) =>
  param
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s]+/g, '_')
    .toUpperCase();

function showStep(step) {
  const li = document.createElement('li');
  if (step.step === 'output') li.className = 'output';
  const detail =
    step.step === 'resolved'
      ? ` ${step.registry} ${step.name}@${step.version}`
      : step.step === 'output'
        ? ` ${step.line}`
        : step.step === 'installed' || step.step === 'initialized'
          ? ` (${step.ms} ms)`
          : '';
  li.append(text(`${step.step}${detail}`));
  $('steps').append(li);
}

async function openClientConfig(p) {
  const res = await fetch(`/processes/${encodeURIComponent(p.id)}/client-config`, { headers: auth() });
  if (res.ok) showClientConfig(`${p.packageName}@${p.version}`, await res.json());
}

async function launch(event) {
  event.preventDefault();
  $('steps').replaceChildren();
  $('client-config').hidden = true;
  const query = new URLSearchParams();
  const headers = { ...auth(), accept: 'text/event-stream' };
  for (const row of $('params').children) {
    const name = row.querySelector('.param-name').value.trim();
    const value = row.querySelector('.param-value').value;
    if (!name) continue;
    if (row.querySelector('.param-secret').checked) {
      headers[`X-MCP-Env-${envName(name)}`] = value;
    } else query.append(name, value);
  }
  const spec = $('spec').value.trim();
  const qs = query.toString();
  const res = await fetch(`/package/${spec}/stdio${qs ? `?${qs}` : ''}`, { headers });
  await readEvents(res, (type, data) => {
    if (type === 'progress') showStep(data);
    else if (type === 'result') {
      showStep({ step: 'ready' });
      showClientConfig(`${data.packageName}@${data.version}`, data.clients);
    } else if (type === 'error') showStep({ step: `failed: ${data.code}: ${data.message}` });
  });
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  key = $('key').value.trim();
  sessionStorage.setItem(KEY, key);
  void follow();
});
$('chart-window').addEventListener('change', redraw);
$('tools-close').addEventListener('click', () => {
  $('tools').hidden = true;
});
$('config-close').addEventListener('click', () => {
  $('client-config').hidden = true;
});
$('logs-close').addEventListener('click', () => {
  logsFor = null;
  $('logs').hidden = true;
});
$('add-param').addEventListener('click', addParam);
initToolsets(auth);
$('launch').addEventListener('submit', (e) => void launch(e));
addParam();
void follow();
