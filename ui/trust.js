/**
 * Trust on the dashboard: badges for each process (registry signatures, provenance, tools held or
 * changed by a new version), and for admins the held tool changes (GET /tool-changes) with what
 * changed field by field and the scan's findings, approved or rejected through the API.
 */

function badge(label, state, title) {
  const el = document.createElement('span');
  el.className = `badge trust-${state}`;
  el.textContent = label;
  if (title) el.title = title;
  return el;
}

/** The badges of one process (`supplyChain` and `toolPins` as /processes gives them). */
export function trustBadges(p) {
  const out = document.createDocumentFragment();
  const sc = p.supplyChain;
  if (sc) {
    const sigs = sc.signatures;
    out.append(
      badge(
        sigs === 'verified' ? 'signed' : `signatures ${sigs}`,
        sigs === 'verified' ? 'ok' : sigs === 'invalid' ? 'bad' : 'unknown',
        sc.reason ?? `${sc.verified ?? 0} of ${sc.packages ?? 0} packages verified`,
      ),
    );
    const prov = sc.provenance;
    if (prov)
      out.append(
        prov.verified
          ? badge(
              'provenance',
              'ok',
              [prov.repository, prov.commit && `commit ${prov.commit}`, prov.workflow]
                .filter(Boolean)
                .join('\n'),
            )
          : badge(`provenance ${prov.status}`, prov.status === 'invalid' ? 'bad' : 'unknown', prov.reason),
      );
  }
  const pins = p.toolPins;
  if (pins?.held?.length) out.append(badge(`${pins.held.length} held`, 'bad', pins.held.join('\n')));
  if (pins?.warnings?.length)
    out.append(
      badge(
        `${pins.warnings.length} changed`,
        'unknown',
        `changed since an earlier version:\n${pins.warnings.join('\n')}`,
      ),
    );
  return out;
}

function short(value) {
  if (value === undefined) return '—';
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

/** One held change: what it is, why it is held, the diff, the findings, and the two decisions. */
function changeView(change, decide) {
  const box = document.createElement('article');
  box.className = 'tool-change';
  box.dataset.id = change.id;
  const head = document.createElement('h3');
  head.textContent = `${change.package}@${change.version} · ${change.kind} ${change.name} · ${change.reason}`;
  box.append(head);
  if (change.changes.length) {
    const table = document.createElement('table');
    table.className = 'diff';
    const header = table.createTHead().insertRow();
    for (const h of ['field', 'before', 'after']) {
      const th = document.createElement('th');
      th.textContent = h;
      header.append(th);
    }
    const body = table.createTBody();
    for (const c of change.changes) {
      const row = body.insertRow();
      row.insertCell().textContent = c.path || '(whole definition)';
      const before = row.insertCell();
      before.className = 'before';
      before.textContent = short(c.before);
      const after = row.insertCell();
      after.className = 'after';
      after.textContent = short(c.after);
    }
    box.append(table);
  }
  if (change.findings.length) {
    const list = document.createElement('ul');
    list.className = 'findings';
    for (const f of change.findings) {
      const li = document.createElement('li');
      li.textContent = `${f.rule} at ${f.path}: ${f.excerpt}`;
      list.append(li);
    }
    box.append(list);
  }
  for (const decision of ['approve', 'reject']) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = decision;
    button.addEventListener('click', () => decide(change.id, decision));
    box.append(button);
  }
  return box;
}

/** Shows the held tool changes (admins), and acts on a decision; `auth` gives the request headers. */
export async function refreshToolChanges(auth) {
  const section = document.getElementById('tool-changes');
  const list = document.getElementById('tool-changes-list');
  const res = await fetch('/tool-changes', { headers: auth() });
  if (!res.ok) {
    section.hidden = true;
    return;
  }
  const { changes } = await res.json();
  const decide = async (id, decision) => {
    const done = await fetch(`/tool-changes/${encodeURIComponent(id)}/${decision}`, {
      method: 'POST',
      headers: auth(),
    });
    if (done.ok) await refreshToolChanges(auth);
  };
  const held = changes.filter((c) => c.state === 'pending');
  section.hidden = held.length === 0;
  list.replaceChildren(...held.map((c) => changeView(c, decide)));
}
