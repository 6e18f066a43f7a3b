/** The dashboard in a real browser (Debian's Chromium driven by playwright-core) against a test gateway. */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startTestGateway, type TestGateway } from './gateway-harness.js';

/** Debian's Chromium, when installed (the browser tests run only then). */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** Opens the dashboard and signs in with `key` (waits until its live stream is up). */
export async function signedInDashboard(browser: Browser, base: string, key: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${base}/dashboard`);
  await page.locator('#key').fill(key);
  await page.locator('#login button[type=submit]').click();
  await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 30_000 });
  return page;
}

/** A served gateway with API keys `entries` and a browser, for a describe block (set in its beforeAll, closed after it). */
export function useDashboardGateway(entries: string[]) {
  const env = {} as { t: TestGateway; base: string; browser: Browser };
  beforeAll(async () => {
    env.t = await startTestGateway({ auth: { apiKeys: entries } });
    env.base = await env.t.serve();
    env.browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.t?.close();
  });
  return env;
}
