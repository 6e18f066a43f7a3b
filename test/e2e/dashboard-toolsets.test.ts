/**
 * The dashboard's toolsets and playground in a real browser (Debian's Chromium driven by playwright-core),
 * keys on: an admin defines a toolset of two fixture servers in the editor (a parameter, a tool filter),
 * sees it listed, gets its client configuration, opens its tools and calls one, watches a call's
 * progress, fills a prompt's arguments and a resource template's variables, edits the toolset keeping
 * the stored parameter, and removes it; a user sees the toolset and uses it, but cannot change it. A
 * process's playground shows a call's progress too. UPDATE_SCREENSHOTS=1 writes docs/dashboard-toolsets.png.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { CHROMIUM, signedInDashboard, useDashboardGateway } from '../support/dashboard-page.js';
import { modernToolCall } from '../support/mcp-raw.js';

const alice = generateApiKey('alice', 'user');
const ops = generateApiKey('ops', 'admin');
const SECRET = 'dash-toolset-secret-5';

/** Records whether a call's progress line was ever on the page (it is replaced by the result). */
const watchProgress = (page: Page) =>
  page.evaluate(`
    window.sawProgress = false;
    new MutationObserver(() => {
      if (document.querySelector('.progress-line')) window.sawProgress = true;
    }).observe(document.body, { subtree: true, childList: true });
  `);
const sawProgress = (page: Page) => page.evaluate('window.sawProgress');

describe.runIf(CHROMIUM)('the dashboard: toolsets and the playground, in Chromium', () => {
  const gw = useDashboardGateway([alice.entry, ops.entry]);

  it('defines a toolset in the editor, configures a client, tries its tools, prompts and templates, edits and removes it', async () => {
    const page = await signedInDashboard(gw.browser, gw.base, ops.key);
    await page.locator('#toolset-new').click();
    await page.locator('#ts-name').fill('daily');
    await page.locator('#ts-description').fill('echo and the conformance server');
    await page.locator('#ts-principals').fill('alice');
    const first = page.locator('#ts-servers .toolset-server').first();
    await first.locator('.ts-alias').fill('echo');
    await first.locator('.ts-package').fill('fixture-echo-mcp');
    await first.locator('.ts-tools').fill('echo, progress, get_env');
    await first.locator('.ts-params').fill(`apiKey=${SECRET}`);
    await page.locator('#ts-add-server').click();
    const second = page.locator('#ts-servers .toolset-server').nth(1);
    await second.locator('.ts-alias').fill('conf');
    await second.locator('.ts-package').fill('fixture-conformance-mcp');
    await page.locator('#toolset-editor button[type=submit]').click();
    const row = page.locator('#toolsets-table tbody tr[data-name="daily"]');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('.open-to').textContent()).toBe('open to alice');
    expect(await row.locator('pre.servers').textContent()).toBe(
      'echo = fixture-echo-mcp [echo, progress, get_env]\nconf = fixture-conformance-mcp',
    );

    await row.getByRole('button', { name: 'config' }).click();
    await page.locator('#config-for', { hasText: 'toolset daily' }).waitFor();
    expect(JSON.parse((await page.locator('#config-cursor').textContent()) ?? '{}')).toEqual({
      mcpServers: {
        daily: {
          url: `${gw.base}/toolsets/daily/mcp`,
          headers: { Authorization: 'Bearer <GATEWAY_API_KEY>' },
        },
      },
    });
    await page.locator('#config-close').click();

    await row.getByRole('button', { name: 'tools' }).click();
    const echo = page.locator('#tools details.tool[data-tool="echo__echo"]');
    await echo.waitFor({ timeout: 60_000 });
    const listed = await page
      .locator('#tools details.tool')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-tool')));
    // The server's own order, with the toolset's filter applied.
    expect(listed.filter((n) => n?.startsWith('echo__'))).toEqual([
      'echo__echo',
      'echo__get_env',
      'echo__progress',
    ]);
    await echo.locator('summary').click();
    await echo.locator('input[data-name="text"]').fill('through the toolset');
    await echo.getByRole('button', { name: 'call' }).click();
    await echo.locator('.result pre', { hasText: 'through the toolset' }).waitFor({ timeout: 30_000 });
    // The stored parameter reached the server; the page never held it.
    const env = page.locator('#tools details.tool[data-tool="echo__get_env"]');
    await env.locator('summary').click();
    await env.locator('input[data-name="name"]').fill('API_KEY');
    await env.getByRole('button', { name: 'call' }).click();
    await env.locator('.result pre').waitFor({ timeout: 30_000 });
    expect(await env.locator('.result pre').textContent()).toBe(SECRET);

    await watchProgress(page);
    const progress = page.locator('#tools details.tool[data-tool="echo__progress"]');
    await progress.locator('summary').click();
    await progress.getByRole('button', { name: 'call' }).click();
    await progress.locator('.result').waitFor({ timeout: 30_000 });
    expect(await sawProgress(page)).toBe(true);

    const prompt = page.locator('#tools li[data-name="conf__test_prompt_with_arguments"]');
    await prompt.locator('input[data-name="arg1"]').fill('alpha');
    await prompt.locator('input[data-name="arg2"]').fill('beta');
    await prompt.getByRole('button', { name: 'get' }).click();
    await prompt.locator('.result pre', { hasText: 'alpha' }).waitFor({ timeout: 30_000 });
    const template = page.locator('#tools li[data-name="conf__Template Resource"]');
    await template.locator('input[data-name="id"]').fill('42');
    await template.getByRole('button', { name: 'read' }).click();
    await template.locator('.result pre', { hasText: '42' }).waitFor({ timeout: 30_000 });
    if (process.env.UPDATE_SCREENSHOTS)
      await page.screenshot({
        path: path.resolve(import.meta.dirname, '../../docs/dashboard-toolsets.png'),
        fullPage: true,
      });

    // Edited: the stored parameter stays (shown as ***), the tool filter changes.
    await row.getByRole('button', { name: 'edit' }).click();
    const editing = page.locator('#ts-servers .toolset-server').first();
    expect(await editing.locator('.ts-params').inputValue()).toBe('apiKey=***');
    await editing.locator('.ts-tools').fill('echo, get_env');
    await page.locator('#toolset-editor button[type=submit]').click();
    await row.locator('pre.servers', { hasText: '[echo, get_env]' }).waitFor({ timeout: 30_000 });
    const kept = await gw.t.get(
      '/toolsets/daily/mcp',
      modernToolCall('echo__get_env', { name: 'API_KEY' }, { authorization: `Bearer ${alice.key}` }),
    );
    expect(kept.body.result.content[0].text).toBe(SECRET);

    // A user sees the toolset and may use it, but not change it.
    const user = await signedInDashboard(gw.browser, gw.base, alice.key);
    const theirs = user.locator('#toolsets-table tbody tr[data-name="daily"]');
    await theirs.waitFor({ timeout: 30_000 });
    expect(await theirs.getByRole('button', { name: 'edit' }).count()).toBe(0);
    expect(await user.locator('#toolset-new').isHidden()).toBe(true);
    await user.close();

    page.on('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'delete' }).click();
    await row.waitFor({ state: 'detached', timeout: 30_000 });
    expect(
      (await gw.t.get('/toolsets', { headers: { authorization: `Bearer ${ops.key}` } })).body.toolsets,
    ).toEqual([]);
    await page.close();
  });

  it("shows a process's call progress in its playground", async () => {
    const launched = await gw.t.get('/package/fixture-echo-mcp@1.0.0/stdio', {
      headers: { authorization: `Bearer ${alice.key}` },
    });
    expect(launched.status).toBe(200);
    const page = await signedInDashboard(gw.browser, gw.base, alice.key);
    const row = page.locator(`#processes tbody tr[data-id="${launched.body.processId}"]`);
    await row.filter({ hasText: 'running' }).waitFor({ timeout: 30_000 });
    await row.getByRole('button', { name: 'tools' }).click();
    const progress = page.locator('#tools details.tool[data-tool="progress"]');
    await progress.waitFor({ timeout: 30_000 });
    await watchProgress(page);
    await progress.locator('summary').click();
    await progress.getByRole('button', { name: 'call' }).click();
    await progress.locator('.result').waitFor({ timeout: 30_000 });
    expect(await sawProgress(page)).toBe(true);
    await page.close();
  });
});
