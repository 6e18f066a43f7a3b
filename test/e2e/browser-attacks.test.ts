/**
 * A web page on another origin attacks a gateway at default settings (loopback, no keys), in Debian's
 * Chromium driven by playwright-core. The page is served by a server of the test as http://evil.test
 * (Chromium's --host-resolver-rules maps the name to 127.0.0.1) and tries every way a page can make a
 * browser send a request: img, script, iframe, link prefetch, form GET, form POST (text/plain and
 * urlencoded), fetch no-cors (GET and a POST shaped like an MCP initialize), fetch with CORS, and a
 * top-level navigation, against packages, the playground endpoint and a toolset's endpoints. Nothing may be launched, installed, stopped or read. A control at the end shows
 * the same browser does reach the gateway when the user types the URL.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const VICTIM = '@fixtures/scoped-mcp';

/** The request vectors the attack page fires, each tagged with `vector=<name>` in its query. */
function attackPage(gw: string, runningId: string): string {
  const launch = (v: string) => `${gw}/package/${VICTIM}/stdio?vector=${v}&apiKey=stolen`;
  const init = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'evil', version: '1' } },
  });
  return `<!doctype html><html><body>
<img src="${launch('img')}">
<script src="${launch('script')}"></script>
<iframe name="f1" src="${launch('iframe')}"></iframe>
<iframe name="f2"></iframe><iframe name="f3"></iframe><iframe name="f4"></iframe><iframe name="f5"></iframe>
<iframe name="f6"></iframe>
<img src="${gw}/toolsets/daily/sse?vector=img-toolset-sse">
<link rel="prefetch" href="${launch('prefetch')}">
<form id="get" method="GET" action="${gw}/package/${VICTIM}/stdio" target="f2">
  <input name="vector" value="form-get"></form>
<form id="text" method="POST" enctype="text/plain" action="${gw}/package/${VICTIM}/mcp?vector=form-post-text" target="f3">
  <input name='${init.slice(0, -1)},"x":"' value='"}'></form>
<form id="url" method="POST" action="${gw}/processes/${runningId}/reclaim?vector=form-post-url" target="f4">
  <input name="a" value="b"></form>
<form id="playground" method="POST" enctype="text/plain" action="${gw}/processes/${runningId}/request?vector=form-post-playground" target="f5">
  <input name='{"method":"tools/call","params":{"name":"crash","arguments":{}},"x":"' value='"}'></form>
<form id="toolset" method="POST" enctype="text/plain" action="${gw}/toolsets/daily/mcp?vector=form-post-toolset" target="f6">
  <input name='${init.slice(0, -1)},"x":"' value='"}'></form>
<script>
  document.getElementById('get').submit();
  document.getElementById('text').submit();
  document.getElementById('url').submit();
  document.getElementById('playground').submit();
  document.getElementById('toolset').submit();
  fetch(${JSON.stringify(`${gw}/toolsets/evil?vector=fetch-cors-put-toolset`)}, {
    method: 'PUT', body: '{"servers":[{"alias":"x","package":"evil-pkg"}]}', headers: { 'content-type': 'application/json' },
  }).catch(() => {});
  fetch(${JSON.stringify(launch('fetch-no-cors'))}, { mode: 'no-cors' }).catch(() => {});
  fetch(${JSON.stringify(`${gw}/sessions?vector=fetch-read`)}, { mode: 'no-cors' }).catch(() => {});
  fetch(${JSON.stringify(`${gw}/package/${VICTIM}/mcp?vector=fetch-no-cors-post`)}, {
    mode: 'no-cors', method: 'POST', body: ${JSON.stringify(init)},
    headers: { 'content-type': 'text/plain', accept: 'application/json, text/event-stream' },
  }).catch(() => {});
  fetch(${JSON.stringify(`${gw}/processes/${runningId}?vector=fetch-cors-delete`)}, { method: 'DELETE' }).catch(() => {});
  fetch(${JSON.stringify(`${gw}/processes?vector=fetch-cors-read`)}).then((r) => r.text()).then(
    (t) => { document.title = 'READ:' + t.slice(0, 50); }, () => { document.title = 'blocked'; });
</script></body></html>`;
}

const navigatePage = (gw: string) =>
  `<!doctype html><script>location.href = ${JSON.stringify(`${gw}/package/${VICTIM}/stdio?vector=navigate`)};</script>`;

describe.runIf(CHROMIUM)('a web page on another origin, in Chromium, against a gateway at defaults', () => {
  let t: TestGateway;
  let gwUrl: string;
  let gwServer: ReturnType<typeof serve>;
  let evil: Server;
  let evilPort: number;
  let browser: Browser;
  let runningId: string;
  /** Every request the browser got to the gateway: vector (or path) and status. */
  const seen: Array<{ vector: string; method: string; status: number }> = [];
  const waiters: Array<() => void> = [];

  beforeAll(async () => {
    t = await startTestGateway();
    // A process that already runs: the page tries to stop it and read it.
    const started = await t.get('/package/fixture-echo-mcp@1.0.0/stdio');
    expect(started.status).toBe(200);
    runningId = started.body.processId;
    // A toolset the page tries to use (its server is the victim package, not installed yet).
    const defined = await t.get('/toolsets/daily', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ servers: [{ alias: 'v', package: VICTIM }] }),
    });
    expect(defined.status).toBe(201);
    await new Promise<void>((resolve) => {
      gwServer = serve(
        {
          fetch: async (req: Request, env: unknown) => {
            const res = await t.gw.app.fetch(req, env);
            const url = new URL(req.url);
            seen.push({
              vector: url.searchParams.get('vector') ?? url.pathname,
              method: req.method,
              status: res.status,
            });
            for (const w of waiters.splice(0)) w();
            return res;
          },
          port: 0,
          hostname: '127.0.0.1',
        },
        (info) => {
          gwUrl = `http://127.0.0.1:${info.port}`;
          resolve();
        },
      );
    });
    evil = createServer((req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(req.url?.startsWith('/navigate') ? navigatePage(gwUrl) : attackPage(gwUrl, runningId));
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    evilPort = (evil.address() as AddressInfo).port;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--host-resolver-rules=MAP evil.test 127.0.0.1'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    evil?.close();
    (gwServer as unknown as { closeAllConnections?: () => void })?.closeAllConnections?.();
    gwServer?.close();
    await t?.close();
  });

  /** Resolves once the gateway has seen every vector in `names` (events, not sleeps). */
  async function sawAll(names: string[]): Promise<void> {
    const missing = () => names.filter((n) => !seen.some((s) => s.vector === n));
    while (missing().length > 0) await new Promise<void>((r) => waiters.push(r));
  }

  it('launches, installs, stops and reads nothing, whatever the page makes the browser send', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`http://evil.test:${evilPort}/attack.html`);
    const vectors = [
      'img',
      'script',
      'iframe',
      'prefetch',
      'form-get',
      'form-post-text',
      'form-post-url',
      'fetch-no-cors',
      'fetch-read',
      'fetch-no-cors-post',
      'fetch-cors-delete', // only its preflight (OPTIONS) reaches the gateway
      'fetch-cors-read',
      'form-post-playground', // a tool call from a form: no preflight
      'fetch-cors-put-toolset', // only its preflight
      'img-toolset-sse', // a GET that would open a session of a toolset and start its servers
      'form-post-toolset', // an initialize for a toolset's endpoint
    ];
    await sawAll(vectors);
    const nav = await (await browser.newContext()).newPage();
    await nav.goto(`http://evil.test:${evilPort}/navigate`);
    await sawAll(['navigate']);
    await page.waitForFunction('document.title !== ""');
    expect(await page.title()).toBe('blocked');

    const fromPages = seen.filter((s) => vectors.includes(s.vector) || s.vector === 'navigate');
    for (const s of fromPages) expect(s.status, `${s.vector} ${s.method}`).toBe(403);
    expect(fromPages.find((s) => s.vector === 'fetch-cors-delete')?.method).toBe('OPTIONS');
    expect(seen.some((s) => s.vector === 'fetch-cors-delete' && s.method === 'DELETE')).toBe(false);

    // Nothing launched or installed, the running process untouched, no session opened.
    expect(t.gw.processes.list().map((p) => p.process.id)).toEqual([runningId]);
    expect(t.gw.processes.get(runningId)?.process.status).toBe('running');
    expect((await t.gw.store.list()).map((p) => p.name)).not.toContain(VICTIM);
    expect((await t.get('/toolsets')).body.toolsets.map((x: { name: string }) => x.name)).toEqual(['daily']);
    expect(t.gw.sessions.size).toBe(0);
    await page.close();
    await nav.close();
  });

  it('still serves the user who types a gateway URL into the same browser (the control)', async () => {
    const page = await (await browser.newContext()).newPage();
    const res = await page.goto(`${gwUrl}/package/${VICTIM}/stdio?vector=typed`);
    expect(res?.status()).toBe(200);
    expect(await res?.json()).toMatchObject({ success: true, packageName: VICTIM });
    // And the dashboard page loads from a link on any site (it acts only with the user's key).
    const dash = await (await browser.newContext()).newPage();
    await dash.goto(`http://evil.test:${evilPort}/navigate`); // leaves for the gateway, refused
    await sawAll(['navigate']);
    const link = await dash.goto(`${gwUrl}/dashboard`, { referer: `http://evil.test:${evilPort}/` });
    expect(link?.status()).toBe(200);
    await page.close();
    await dash.close();
  });
});
