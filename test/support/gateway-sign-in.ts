/**
 * A person at the built-in authorization server's pages in Chromium: signs in with an API key or as a
 * listed user, then allows (or denies) what the client asked; resolves with where the server sent the
 * browser back (the code, the state, the issuer; or the error).
 */
import type { Browser } from 'playwright-core';

export type Credentials = { key: string } | { user: string; password: string };

export interface Redirected {
  code: string | null;
  state: string | null;
  iss: string | null;
  error: string | null;
}

export async function signInAtGateway(
  browser: Browser,
  authorizationUrl: URL | string,
  redirect: string,
  credentials: Credentials,
  decision: 'allow' | 'deny' = 'allow',
): Promise<Redirected> {
  // A browser of its own: no sign-in session of an earlier person carries over.
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    const back = page.waitForRequest((r) => r.url().startsWith(redirect), { timeout: 30_000 });
    await page.goto(String(authorizationUrl));
    if ('key' in credentials) {
      await page.fill('#key', credentials.key);
      await page.click('text=Sign in with the key');
    } else {
      await page.fill('#user', credentials.user);
      await page.fill('#password', credentials.password);
      await page.click('button:text-is("Sign in")');
    }
    // A grant given before is not asked for again: the browser may go straight back.
    const consent = page.waitForSelector('text=It asks to:', { timeout: 30_000 }).then(
      () => true,
      () => false,
    );
    const done = back.then(() => false);
    if (await Promise.race([consent, done]))
      await page.click(decision === 'allow' ? 'button:text-is("Allow")' : 'button:text-is("Deny")');
    const params = new URL((await back).url()).searchParams;
    return {
      code: params.get('code'),
      state: params.get('state'),
      iss: params.get('iss'),
      error: params.get('error'),
    };
  } finally {
    await context.close();
  }
}
