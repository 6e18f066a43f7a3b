/**
 * The live dashboard in a real browser (Debian's Chromium driven by playwright-core): sign in with a key,
 * launch a fixture from the form and watch its install steps and client configuration, see it running
 * (live, over server-sent events), read its output, stop it; a `user` sees only its own processes, an
 * `admin` everyone's. Trust: each process's supply-chain and pinning badges, and a rug pull's held tool
 * change shown to the admin with its diff and approved from the page. UPDATE_SCREENSHOTS=1 writes
 * docs/dashboard.png for the README.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { CHROMIUM, signedInDashboard, useDashboardGateway } from '../support/dashboard-page.js';
import type { TestGateway } from '../support/gateway-harness.js';

const alice = generateApiKey('alice', 'user');
const ops = generateApiKey('ops', 'admin');

describe.runIf(CHROMIUM)('the dashboard in Chromium', () => {
  let t: TestGateway;
  let base: string;
  let browser: Browser;
  const env = useDashboardGateway([alice.entry, ops.entry]);
  beforeAll(() => {
    ({ t, base, browser } = env);
  });

  const signIn = (key: string): Promise<Page> => signedInDashboard(browser, base, key);

  it('is served with a CSP that allows no inline script, and asks for a key first', async () => {
    const res = await fetch(`${base}/dashboard`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(await res.text()).not.toMatch(/<script>(?!<\/script>)/);
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${base}/dashboard`);
    await page.locator('#login').waitFor({ state: 'visible' });
    // The stylesheet applies (a CSP that blocked it would leave the badge unstyled).
    const radius = await page
      .locator('#live')
      .evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).borderTopLeftRadius);
    expect(radius).not.toBe('0px');
    expect(await page.locator('#main').isHidden()).toBe(true);
    await page.close();
  });

  it('launches from the form, follows it live, shows its output and stops it; users see only their own', async () => {
    const page = await signIn(alice.key);
    expect(await page.locator('#who').textContent()).toContain('alice (user)');

    await page.locator('#spec').fill('fixture-echo-mcp@1.1.0');
    await page.locator('.param-name').first().fill('apiKey');
    await page.locator('.param-secret').first().check();
    await page.locator('.param-value').first().fill('dash-secret-3');
    await page.locator('#launch button[type=submit]').click();
    await page.locator('#steps li', { hasText: 'initialized' }).waitFor({ timeout: 30_000 });
    const steps = await page.locator('#steps li:not(.output)').allTextContents();
    expect(steps.slice(0, 2)).toEqual(['resolving', 'resolved npm fixture-echo-mcp@1.1.0']);
    // Every client's configuration, the secret and the key as placeholders (keys are on here).
    const config = await page.locator('#config-cursor').textContent();
    expect(config).toContain(`${base}/package/fixture-echo-mcp@1.1.0/mcp`);
    expect(config).toContain('"X-MCP-Env-API_KEY": "<API_KEY>"');
    expect(config).toContain('"Authorization": "Bearer <GATEWAY_API_KEY>"');
    expect(await page.locator('#config-vscode').textContent()).toContain('"type": "http"');
    expect(await page.locator('#config-claude-desktop').textContent()).toContain('mcp-remote');
    expect(await page.locator('#config-claude-code').textContent()).toMatch(
      /^claude mcp add --transport http fixture-echo-mcp http:\/\/127\.0\.0\.1:\d+\/package\/fixture-echo-mcp@1\.1\.0\/mcp --header 'Authorization: Bearer <GATEWAY_API_KEY>'/,
    );
    expect(await page.content()).not.toContain(alice.key);

    const row = page.locator('#processes tbody tr', { hasText: 'fixture-echo-mcp' });
    // Snapshots come every 2 s: the first may show it starting; wait for the one that shows it running.
    await row.filter({ hasText: 'running' }).waitFor({ timeout: 30_000 });
    expect(await row.locator('td').nth(4).textContent()).toBe('running');
    // Its id and settings (the secret masked) tell it apart from another process of the package.
    expect(await row.locator('td').nth(0).textContent()).toMatch(/^[0-9a-f]{12}$/);
    expect(await row.locator('td.settings').textContent()).toBe('API_KEY=***');
    // The charts: axes, the current value, and a choice of time window.
    await page.locator('#chart-rate-value', { hasText: /^\d+(\.\d+)?\/s$/ }).waitFor({ timeout: 30_000 });
    expect(await page.locator('#chart-latency-value').textContent()).toMatch(/^\d+(\.\d+)? ms$/);
    expect(await page.locator('#chart-rate .x-start').textContent()).toBe('-10 min');
    expect(await page.locator('#chart-rate .y-max').textContent()).toMatch(/^\d/);
    await page.locator('#chart-window').selectOption('120000');
    expect(await page.locator('#chart-rate .x-start').textContent()).toBe('-2 min');
    // Its tools, with a form built from each one's schema: the playground calls echo.
    await row.getByRole('button', { name: 'tools' }).click();
    const echo = page.locator('#tools details.tool[data-tool="echo"]');
    await echo.waitFor({ timeout: 30_000 });
    await echo.locator('summary').click();
    expect(await echo.locator('pre.schema').textContent()).toContain('"text"');
    await echo.locator('input[data-name="text"]').fill('from the playground');
    await echo.getByRole('button', { name: 'call' }).click();
    await echo.locator('.result pre', { hasText: 'from the playground' }).waitFor({ timeout: 30_000 });
    if (process.env.UPDATE_SCREENSHOTS)
      await page.locator('#tools').screenshot({
        path: path.resolve(import.meta.dirname, '../../docs/dashboard-playground.png'),
      });
    await page.locator('#tools-close').click();

    // Any running process's configuration, from its row.
    await page.locator('#config-close').click();
    await row.getByRole('button', { name: 'config' }).click();
    await page.locator('#config-for', { hasText: 'fixture-echo-mcp@1.1.0' }).waitFor();
    expect(await page.locator('#config-cursor').textContent()).toContain('"X-MCP-Env-API_KEY": "<API_KEY>"');
    await row.getByRole('button', { name: 'logs' }).click();
    await page.locator('#logs-text', { hasText: 'starting in mode' }).waitFor({ timeout: 30_000 });
    expect(await page.content()).not.toContain('dash-secret-3');

    if (process.env.UPDATE_SCREENSHOTS) {
      await mkdir(path.resolve(import.meta.dirname, '../../docs'), { recursive: true });
      await page.screenshot({
        path: path.resolve(import.meta.dirname, '../../docs/dashboard.png'),
        fullPage: true,
      });
    }

    // The admin sees alice's process; alice never sees the admin's.
    const own = await t.get('/package/fixture-echo-mcp@1.0.0/stdio', {
      headers: { authorization: `Bearer ${ops.key}` },
    });
    expect(own.status).toBe(200);
    const admin = await signIn(ops.key);
    await admin.locator('#processes tbody tr', { hasText: 'alice' }).waitFor({ timeout: 30_000 });
    expect(await admin.locator('#processes tbody tr').count()).toBe(2);
    await page.waitForTimeout(2500);
    expect(await page.locator('#processes tbody tr').count()).toBe(1);

    await row.getByRole('button', { name: 'stop' }).click();
    await page
      .locator('#processes tbody tr', { hasText: 'fixture-echo-mcp' })
      .waitFor({ state: 'detached', timeout: 30_000 });
    expect(t.gw.processes.list().filter((p) => p.meta.owner === 'alice')).toHaveLength(0);
    // The admin sees the audit log (alice's launch and stop); alice sees no audit section.
    await admin.locator('#audit tbody tr', { hasText: 'stop' }).first().waitFor({ timeout: 30_000 });
    expect(await admin.locator('#audit tbody tr', { hasText: 'launch' }).count()).toBeGreaterThan(0);
    expect(await page.locator('#audit-section').isHidden()).toBe(true);
    await page.close();
    await admin.close();
  });

  it('shows trust badges, and a held tool change with its diff that the admin approves from the page', async () => {
    // A rug pull: after three calls the server poisons get_weather's description and says list_changed.
    const client = new Client({ name: 'dashboard-test', version: '1.0.0' });
    let changed: () => void = () => {};
    const listChanged = new Promise<void>((r) => {
      changed = r;
    });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => changed());
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/package/fixture-rug-pull-mcp@1.0.0/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${ops.key}` } },
      }),
    );
    try {
      expect((await client.listTools()).tools.map((x) => x.name)).toContain('get_weather'); // pinned now
      for (let i = 0; i < 3; i++) await client.callTool({ name: 'get_weather', arguments: { city: 'Oslo' } });
      await listChanged;
      const admin = await signIn(ops.key);
      const row = admin.locator('#processes tbody tr', { hasText: 'fixture-rug-pull-mcp' });
      await row.locator('.badge', { hasText: '1 held' }).waitFor({ timeout: 30_000 });
      // Verdaccio serves neither keys nor attestations: both say so, with the reason on hover.
      expect(
        await row.locator('.badge', { hasText: 'signatures unverifiable' }).getAttribute('title'),
      ).toContain('publishes no signing keys');
      expect(await row.locator('.badge', { hasText: 'provenance unverifiable' }).count()).toBe(1);
      // The playground's requests go through the same gate: the held tool cannot be called there either.
      const rugPull = t.gw.processes.list().find((p) => p.meta.packageName === 'fixture-rug-pull-mcp');
      const held = await t.get(`/processes/${rugPull?.process.id}/request`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ops.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          method: 'tools/call',
          params: { name: 'get_weather', arguments: { city: 'Oslo' } },
        }),
      });
      expect(held.body.error.data.code).toBe('TOOL_PENDING_APPROVAL');
      const other = await t.get(`/processes/${rugPull?.process.id}/request`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ method: 'tools/list' }),
      });
      expect(other.status).toBe(404); // not alice's
      const change = admin.locator('#tool-changes .tool-change', { hasText: 'get_weather' });
      await change.waitFor({ timeout: 30_000 });
      expect(await change.locator('h3').textContent()).toContain(
        'fixture-rug-pull-mcp@1.0.0 · tool get_weather · changed',
      );
      expect(await change.locator('.diff td').first().textContent()).toBe('description');
      expect(await change.locator('.diff .after').textContent()).toContain('~/.ssh/id_rsa');
      expect(await change.locator('.findings li').count()).toBeGreaterThan(0);
      if (process.env.UPDATE_SCREENSHOTS)
        await admin.screenshot({
          path: path.resolve(import.meta.dirname, '../../docs/dashboard-tool-changes.png'),
          fullPage: true,
        });
      await change.getByRole('button', { name: 'approve' }).click();
      await admin.locator('#tool-changes').waitFor({ state: 'hidden', timeout: 30_000 });
      const left = await t.get('/tool-changes', { headers: { authorization: `Bearer ${ops.key}` } });
      expect(left.body.changes).toEqual([]);
      // The admin ends the client's session from the page; its next request is told it is gone.
      const session = admin.locator('#sessions tbody tr', { hasText: 'fixture-rug-pull-mcp' });
      await session.getByRole('button', { name: 'end' }).click();
      await session.waitFor({ state: 'detached', timeout: 30_000 });
      expect(t.gw.sessions.list().filter((x) => x.packageName === 'fixture-rug-pull-mcp')).toEqual([]);
      await expect(client.listTools()).rejects.toThrow();
      await admin.close();
    } finally {
      await client.close();
    }
  });
});
