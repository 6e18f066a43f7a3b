/**
 * The dashboard's request charts: requests/s, errors/s and mean latency from the gateway's own metrics,
 * kept for 30 minutes of snapshots, drawn for the chosen time window with axes (zero and the window's
 * peak, the window's start and now) and the current value beside each title.
 */
const KEEP_MS = 30 * 60_000;
const W = 300;
const H = 120;
const PAD = { left: 34, right: 6, top: 8, bottom: 16 };
const SVG = 'http://www.w3.org/2000/svg';
const series = { rate: [], errors: [], latency: [] };
let last = null;

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const ago = (ms) => (ms >= 60_000 ? `-${Math.round(ms / 60_000)} min` : `-${Math.round(ms / 1000)} s`);

function draw(id, points, windowMs, now, unit) {
  const svg = document.getElementById(id);
  const shown = points.filter((p) => p.t >= now - windowMs);
  const max = Math.max(1e-9, ...shown.map((p) => p.v));
  const x = (t) => PAD.left + ((t - (now - windowMs)) / windowMs) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const axes = [
    svgEl('line', { class: 'axis', x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom }),
    svgEl('line', { class: 'axis', x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom }),
    svgEl(
      'text',
      { class: 'axis-label y-max', x: PAD.left - 3, y: PAD.top + 4, 'text-anchor': 'end' },
      fmt(max),
    ),
    svgEl('text', { class: 'axis-label', x: PAD.left - 3, y: H - PAD.bottom, 'text-anchor': 'end' }, '0'),
    svgEl('text', { class: 'axis-label x-start', x: PAD.left, y: H - 3 }, ago(windowMs)),
    svgEl('text', { class: 'axis-label', x: W - PAD.right, y: H - 3, 'text-anchor': 'end' }, 'now'),
  ];
  const line = svgEl('polyline', {
    points: shown.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' '),
  });
  svg.replaceChildren(...axes, line);
  const current = shown.at(-1)?.v;
  document.getElementById(`${id}-value`).textContent = current === undefined ? '–' : `${fmt(current)}${unit}`;
}

/** Adds a snapshot's request totals and redraws for the window chosen. */
export function renderCharts(s) {
  if (last) {
    const dt = (s.at - last.at) / 1000 || 1;
    const timed = s.totals.timed - last.totals.timed;
    const add = (k, v) => {
      series[k].push({ t: s.at, v });
      while (series[k].length && series[k][0].t < s.at - KEEP_MS) series[k].shift();
    };
    add('rate', (s.totals.requests - last.totals.requests) / dt);
    add('errors', (s.totals.errors - last.totals.errors) / dt);
    add('latency', timed > 0 ? ((s.totals.seconds - last.totals.seconds) / timed) * 1000 : 0);
  }
  last = s;
  redraw();
}

export function redraw() {
  if (!last) return;
  const windowMs = Number(document.getElementById('chart-window').value);
  draw('chart-rate', series.rate, windowMs, last.at, '/s');
  draw('chart-errors', series.errors, windowMs, last.at, '/s');
  draw('chart-latency', series.latency, windowMs, last.at, ' ms');
}
