/**
 * The built-in authorization server (OAUTH_BUILTIN) with real clients: the TypeScript SDK's OAuth support
 * (401 → discovery → dynamic registration → PKCE → sign-in with an API key and consent in Chromium →
 * token → session → tool call), the Python SDK client and mcp-remote doing the same, a listed user's
 * password, refresh tokens, a client known by its Client
 * ID Metadata Document, and a restart that keeps keys, clients and grants. And what an attacker tries:
 * a token for another server's resource, a role the account does not hold, a forged token with the
 * issuer's name, a wrong key or password, and a page of another site submitting the sign-in form.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateApiKey } from '../../src/policy/api-keys.js';
import { userEntry } from '../../src/policy/oauth/server/accounts.js';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { signInAtGateway } from '../support/gateway-sign-in.js';
import { INIT_2025, MCP_HEADERS } from '../support/mcp-raw.js';
import { freePort } from '../support/net.js';
import { MemoryProvider, REDIRECT } from '../support/oauth-client-state.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const PYTHON_CLIENT = path.resolve(import.meta.dirname, '../clients/python_oauth_client.py');
const MCP_REMOTE = path.join(
  path.dirname(createRequire(import.meta.url).resolve('mcp-remote/package.json')),
  'dist/proxy.js',
);
const PATH = '/package/fixture-echo-mcp/mcp';
const alice = generateApiKey('alice', 'user');
const root = generateApiKey('root', 'admin');
const CAROL_PASSWORD = 'correct horse battery staple';
/** A client known by its metadata document (draft-ietf-oauth-client-id-metadata-document), on a host of its own. */
const CIMD_ID = 'https://client.example/mcp-client.json';

/** PKCE (RFC 7636, S256). */
function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

describe.runIf(CHROMIUM)('the built-in authorization server', () => {
  let dataDir: string;
  let base: string;
  let port: number;
  let t: TestGateway;
  let browser: Browser;
  let cimdHost: Server;
  let cimdPort: number;
  let carol: string;
  /** What the SDK client kept after signing in with alice's key (for the restart). */
  let kept: MemoryProvider;

  /** The client's metadata document is served here; the gateway fetches client.example from this port. */
  const oauthFetch: typeof fetch = (input, init) => {
    const u = new URL(String(input instanceof Request ? input.url : input));
    if (u.host !== 'client.example') return fetch(input, init);
    const { dispatcher: _special, ...plain } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
    return fetch(`http://127.0.0.1:${cimdPort}${u.pathname}`, plain);
  };
  const settings = () => ({
    auth: { apiKeys: [alice.entry, root.entry] },
    http: { publicUrl: base },
    oauth: { builtin: true, dataDir, users: [carol] },
  });
  const start = async () => {
    t = await startTestGateway(settings(), { oauthFetch });
    await t.serve(port);
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'mcp-gw-oauth-'));
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    carol = await userEntry('carol', 'user', CAROL_PASSWORD);
    cimdHost = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' });
      res.end(
        JSON.stringify({
          client_id: CIMD_ID,
          client_name: 'Metadata Document Client',
          redirect_uris: [REDIRECT],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
          application_type: 'native',
        }),
      );
    });
    await new Promise<void>((r) => cimdHost.listen(0, '127.0.0.1', r));
    cimdPort = (cimdHost.address() as AddressInfo).port;
    await start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--host-resolver-rules=MAP evil.test 127.0.0.1'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    cimdHost?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** A registered client (RFC 7591), as an MCP client registers itself. */
  async function register(): Promise<string> {
    const res = await fetch(`${base}/oauth/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'raw-client',
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        application_type: 'native',
      }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { client_id: string }).client_id;
  }

  /** An authorization request (PKCE) for `resource` and `scope`; resolves with its URL and verifier. */
  function authorization(clientId: string, resource: string, scope: string) {
    const p = pkce();
    const url = new URL(`${base}/oauth/auth`);
    for (const [k, v] of Object.entries({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope,
      resource,
      state: randomBytes(8).toString('hex'),
      code_challenge: p.challenge,
      code_challenge_method: 'S256',
    }))
      url.searchParams.set(k, v);
    return { url, verifier: p.verifier };
  }

  async function tokenFor(clientId: string, code: string, verifier: string, resource: string) {
    const res = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        client_id: clientId,
        code_verifier: verifier,
        resource,
      }),
    });
    return (await res.json()) as { access_token?: string; refresh_token?: string; error?: string };
  }

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  /** An MCP initialize with these headers; resolves with the answer (its body read). */
  const initialize = async (url: string, headers: Record<string, string>) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...headers },
      body: INIT_2025,
    });
    await res.text();
    return res;
  };

  it('publishes where clients find it: protected resource metadata, then RFC 8414 metadata', async () => {
    const prm = await (await fetch(`${base}/.well-known/oauth-protected-resource${PATH}`)).json();
    expect(prm).toMatchObject({ resource: `${base}${PATH}`, authorization_servers: [`${base}/oauth`] });
    for (const where of [
      '/.well-known/oauth-authorization-server/oauth',
      '/oauth/.well-known/openid-configuration',
    ]) {
      const res = await fetch(`${base}${where}`);
      expect(res.status, where).toBe(200);
      expect(await res.json()).toMatchObject({
        issuer: `${base}/oauth`,
        authorization_endpoint: `${base}/oauth/auth`,
        token_endpoint: `${base}/oauth/token`,
        registration_endpoint: `${base}/oauth/reg`,
        code_challenge_methods_supported: ['S256'],
        client_id_metadata_document_supported: true,
      });
    }
  });

  it('the TS SDK client registers, signs in with an API key, and calls a tool as that key', async () => {
    const url = new URL(`${base}${PATH}`);
    const provider = new MemoryProvider();
    await expect(
      new Client({ name: 'sdk', version: '1' }).connect(
        new StreamableHTTPClientTransport(url, { authProvider: provider }),
      ),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    const to = provider.authorizationUrl as URL;
    expect(to.href.startsWith(`${base}/oauth/auth`)).toBe(true);
    expect(to.searchParams.get('resource')).toBe(url.href);
    const back = await signInAtGateway(browser, to, REDIRECT, { key: alice.key });
    expect(back.iss).toBe(`${base}/oauth`);
    await new StreamableHTTPClientTransport(url, { authProvider: provider }).finishAuth(back.code as string);
    const token = provider.saved?.access_token as string;
    expect(decodeJwt(token)).toMatchObject({
      iss: `${base}/oauth`,
      sub: 'alice',
      aud: url.href,
      scope: 'mcp:user',
    });
    expect(provider.saved?.refresh_token).toBeTruthy();
    const client = new Client({ name: 'sdk', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    const result = (await client.callTool({ name: 'echo', arguments: { text: 'built in' } })) as {
      content: Array<{ text: string }>;
    };
    expect(result.content[0]?.text).toBe('built in');
    // The token acts as the key it was signed in with: the session is alice's, as with her key.
    expect(t.gw.sessions.list().map((s) => s.owner)).toContain('alice');
    await client.close();
    kept = provider;
  });

  it('the Python SDK client signs in the same way (legacy and 2026-07-28 modes), and calls a tool', async () => {
    for (const mode of ['legacy', '2026-07-28']) {
      const child = spawn(inject('pythonClient'), [PYTHON_CLIENT, `${base}${PATH}`, mode, REDIRECT], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c) => {
        stderr += c;
      });
      let result: { tools?: string[]; echo?: string } | undefined;
      for await (const line of createInterface({ input: child.stdout })) {
        const msg = JSON.parse(line) as { authorize?: string; tools?: string[]; echo?: string };
        if (msg.authorize) {
          const back = await signInAtGateway(browser, msg.authorize, REDIRECT, { key: alice.key });
          child.stdin.write(`${JSON.stringify(back)}\n`);
        } else result = msg;
      }
      expect(result, stderr.slice(-2000)).toMatchObject({ echo: 'python signed in' });
    }
  });

  it('mcp-remote (the desktop bridge) prints where to sign in, takes the code on its own callback, and calls a tool', async () => {
    const configDir = await mkdtemp(path.join(tmpdir(), 'mcp-remote-'));
    const callbackPort = await freePort();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        MCP_REMOTE,
        `${base}${PATH}`,
        String(callbackPort),
        '--host',
        '127.0.0.1',
        '--transport',
        'http-only',
      ],
      env: { ...(process.env as Record<string, string>), MCP_REMOTE_CONFIG_DIR: configDir, BROWSER: 'none' },
      stderr: 'pipe',
    });
    let stderr = '';
    const authorize = new Promise<string>((resolve) => {
      transport.stderr?.on('data', (c) => {
        stderr += c;
        const m = /Please authorize this client by visiting:\s+(\S+)/.exec(stderr);
        if (m) resolve(m[1] as string);
      });
    });
    const client = new Client({ name: 'desktop-app', version: '1.0.0' });
    const connecting = client.connect(transport);
    try {
      const callback = `http://127.0.0.1:${callbackPort}/oauth/callback`;
      const back = await signInAtGateway(browser, await authorize, callback, { key: alice.key });
      expect(back.code, stderr.slice(-2000)).toBeTruthy();
      await connecting;
      const result = (await client.callTool({ name: 'echo', arguments: { text: 'via mcp-remote' } })) as {
        content: Array<{ text: string }>;
      };
      expect(result.content[0]?.text).toBe('via mcp-remote');
    } finally {
      await client.close();
      await rm(configDir, { recursive: true, force: true });
    }
  });

  it('shows its own error page for a request it cannot serve (an unknown client)', async () => {
    const res = await fetch(authorization('no-such-client', `${base}${PATH}`, 'mcp:user').url);
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('This sign-in cannot go on');
    expect(page).toContain('invalid_client');
  });

  it('a listed user signs in with a password; a wrong one gets the form again and no code', async () => {
    const clientId = await register();
    const { url, verifier } = authorization(clientId, `${base}${PATH}`, 'mcp:user');
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      const back = page.waitForRequest((r) => r.url().startsWith(REDIRECT), { timeout: 30_000 });
      await page.goto(url.href);
      await page.fill('#user', 'carol');
      await page.fill('#password', 'wrong password');
      const refused = page.waitForResponse((r) => r.request().method() === 'POST');
      await page.click('button:text-is("Sign in")');
      expect((await refused).status()).toBe(401);
      await page.waitForSelector('text=Wrong user or password.');
      await page.fill('#user', 'carol');
      await page.fill('#password', CAROL_PASSWORD);
      await page.click('button:text-is("Sign in")');
      await page.click('button:text-is("Allow")');
      const code = new URL((await back).url()).searchParams.get('code') as string;
      const tokens = await tokenFor(clientId, code, verifier, `${base}${PATH}`);
      expect(decodeJwt(tokens.access_token as string).sub).toBe('user:carol');
      const res = await initialize(`${base}${PATH}`, bearer(tokens.access_token as string));
      expect(res.status).toBe(200);
    } finally {
      await context.close();
    }
    const audit = await fetch(`${base}/audit?type=oauth.signin`, { headers: bearer(root.key) });
    const { events } = (await audit.json()) as { events: Array<{ outcome: string; principal?: string }> };
    expect(events.map((e) => e.outcome)).toEqual(expect.arrayContaining(['ok', 'refused']));
    expect(events.map((e) => e.principal)).toContain('user:carol');
  });

  it('grants no scope beyond the account’s role; a gateway-wide token reaches admin routes only as admin', async () => {
    const clientId = await register();
    const tokens: Record<string, string> = {};
    for (const [who, key] of [
      ['alice', alice.key],
      ['root', root.key],
    ] as const) {
      const { url, verifier } = authorization(clientId, base, 'mcp:user mcp:admin');
      const back = await signInAtGateway(browser, url, REDIRECT, { key });
      const got = await tokenFor(clientId, back.code as string, verifier, base);
      tokens[who] = got.access_token as string;
    }
    expect(decodeJwt(tokens.alice as string).scope).toBe('mcp:user');
    expect(decodeJwt(tokens.root as string).scope).toBe('mcp:user mcp:admin');
    expect((await fetch(`${base}/permissions`, { headers: bearer(tokens.alice as string) })).status).toBe(
      403,
    );
    expect((await fetch(`${base}/permissions`, { headers: bearer(tokens.root as string) })).status).toBe(200);
  });

  it('a client known by its Client ID Metadata Document signs in without registering', async () => {
    const { url, verifier } = authorization(CIMD_ID, `${base}${PATH}`, 'mcp:user');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url.href);
    expect(await page.textContent('main')).toContain('Metadata Document Client');
    await context.close();
    const back = await signInAtGateway(browser, url, REDIRECT, { key: alice.key });
    const tokens = await tokenFor(CIMD_ID, back.code as string, verifier, `${base}${PATH}`);
    expect(decodeJwt(tokens.access_token as string)).toMatchObject({ client_id: CIMD_ID, sub: 'alice' });
  });

  it('refuses a token for another server, a forged token in its name, and a denied consent', async () => {
    const clientId = await register();
    const foreign = authorization(clientId, 'https://other.example/mcp', 'mcp:user');
    const res = await fetch(foreign.url, { redirect: 'manual' });
    expect(new URL(res.headers.get('location') as string).searchParams.get('error')).toBe('invalid_target');
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ scope: 'mcp:admin mcp:user', client_id: clientId })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
      .setIssuer(`${base}/oauth`)
      .setSubject('root')
      .setAudience(base)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const refused = await fetch(`${base}/permissions`, { headers: bearer(forged) });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('TOKEN_INVALID');
    const denied = authorization(clientId, `${base}${PATH}`, 'mcp:user');
    const back = await signInAtGateway(browser, denied.url, REDIRECT, { key: alice.key }, 'deny');
    expect(back).toMatchObject({ code: null, error: 'access_denied' });
  });

  it('a page of another site cannot submit the sign-in form (login CSRF)', async () => {
    const clientId = await register();
    const { url } = authorization(clientId, `${base}${PATH}`, 'mcp:user');
    const evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<form id="f" method="post" action="${target}"><input name="kind" value="key"><input name="key" value="${root.key}"></form><script>f.submit()</script>`,
      );
    });
    let target = '';
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    const page = await browser.newPage();
    try {
      await page.goto(url.href); // the victim's own sign-in, in progress
      target = new URL(`${page.url()}/login`).href;
      const answer = page.waitForResponse((r) => r.url() === target);
      await page.goto(`http://evil.test:${(evil.address() as AddressInfo).port}/`);
      const res = await answer;
      expect(res.status()).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'ORIGIN_NOT_ALLOWED' });
    } finally {
      await page.close();
      evil.close();
    }
  });

  it('keeps its keys, clients and grants over a restart: old tokens and refresh tokens still work', async () => {
    const before = kept.saved;
    await t.close();
    await start();
    const url = `${base}${PATH}`;
    expect((await initialize(url, bearer(before?.access_token as string))).status).toBe(200);
    const res = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: before?.refresh_token as string,
        client_id: kept.info?.client_id as string,
        resource: url,
      }),
    });
    const fresh = (await res.json()) as { access_token?: string; refresh_token?: string };
    expect(fresh.access_token, JSON.stringify(fresh)).toBeTruthy();
    expect(fresh.refresh_token).not.toBe(before?.refresh_token); // rotated (a public client)
    expect((await initialize(url, bearer(fresh.access_token as string))).status).toBe(200);
  });
});
