/**
 * The TypeScript SDK client's own OAuth support, end to end, against a real authorization server
 * (oidc-provider) and the gateway at its defaults plus OAUTH_ISSUER: the 401, discovery of the protected
 * resource and the authorization server, dynamic registration, PKCE, a person's sign-in and consent in
 * Chromium, the token for the endpoint's resource, then a session that calls a tool. And the machine
 * flow (client_credentials) through the SDK's ClientCredentialsProvider.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { MemoryProvider, REDIRECT } from '../support/oauth-client-state.js';
import { SVC, signIn, startIssuer, type TestIssuer } from '../support/oidc-issuer.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const PATH = '/package/fixture-echo-mcp/mcp';
const PYTHON_CLIENT = path.resolve(import.meta.dirname, '../clients/python_oauth_client.py');

describe.runIf(CHROMIUM)('the TypeScript SDK client signs in with OAuth', () => {
  let idp: TestIssuer;
  let t: TestGateway;
  let url: URL;
  let browser: Browser;
  beforeAll(async () => {
    idp = await startIssuer();
    t = await startTestGateway({ oauth: { issuers: [idp.issuer] } });
    url = new URL(`${await t.serve()}${PATH}`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await idp?.close();
  });

  it('discovers, registers, signs in with PKCE, gets a token for the endpoint, and calls a tool', async () => {
    const provider = new MemoryProvider();
    const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
    const client = new Client({ name: 'sdk-oauth-test', version: '1.0.0' });
    await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    // The SDK registered itself dynamically and sent the user to the authorization server: with PKCE,
    // for this endpoint as the resource (RFC 8707), asking for the scope the challenge named.
    const to = provider.authorizationUrl as URL;
    expect(to.origin).toBe(idp.issuer);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('resource')).toBe(url.href);
    expect(to.searchParams.get('scope')).toContain('mcp:user');
    expect(provider.info?.client_id).toBeTruthy();
    await first.finishAuth((await signIn(browser, to, REDIRECT)).code);
    expect(provider.saved?.access_token).toBeTruthy();
    const connected = new Client({ name: 'sdk-oauth-test', version: '1.0.0' });
    await connected.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    const result = (await connected.callTool({ name: 'echo', arguments: { text: 'signed in' } })) as {
      content: Array<{ text: string }>;
    };
    expect(result.content[0]?.text).toContain('signed in');
    // The session belongs to the person who signed in.
    expect(t.gw.sessions.list().map((s) => s.owner)).toContain('oauth:alice');
    await connected.close();
  });

  it('connects as a machine with client_credentials (ClientCredentialsProvider)', async () => {
    const provider = new ClientCredentialsProvider({
      clientId: SVC.id,
      clientSecret: SVC.secret,
      expectedIssuer: idp.issuer,
      scope: 'mcp:user',
    } as never);
    const client = new Client({ name: 'sdk-oauth-machine', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
    const tools = await client.listTools();
    expect(tools.tools.map((x) => x.name)).toContain('echo');
    await client.close();
  });

  it('the Python SDK client signs in the same way (legacy and 2026-07-28 modes), and calls a tool', async () => {
    for (const mode of ['legacy', '2026-07-28']) {
      const child = spawn(inject('pythonClient'), [PYTHON_CLIENT, url.href, mode, REDIRECT], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c) => {
        stderr += c;
      });
      const lines = createInterface({ input: child.stdout });
      let result: { tools?: string[]; echo?: string } | undefined;
      for await (const line of lines) {
        const msg = JSON.parse(line) as { authorize?: string; tools?: string[]; echo?: string };
        if (msg.authorize) {
          const back = await signIn(browser, new URL(msg.authorize), REDIRECT);
          child.stdin.write(`${JSON.stringify(back)}\n`);
        } else result = msg;
      }
      expect(result, stderr.slice(-2000)).toMatchObject({
        echo: expect.stringContaining('python signed in'),
      });
      expect(result?.tools).toContain('echo');
    }
  });
});
