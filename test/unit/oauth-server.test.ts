/**
 * The built-in authorization server's parts on their own: its storage (expiry, consumption, revocation
 * by grant, indexes, sweeping), its accounts (keys, scrypt passwords, accounts that went away), which
 * resources it issues tokens for, and the start-up checks that refuse a server nobody could use.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ApiKeys, generateApiKey } from '../../src/policy/api-keys.js';
import { Accounts, UserEntryError, userEntry } from '../../src/policy/oauth/server/accounts.js';
import { ownAudience } from '../../src/policy/oauth/server/authorization-server.js';
import { FileAdapter, sweepExpired } from '../../src/policy/oauth/server/file-adapter.js';
import { openToBrowsers } from '../../src/policy/oauth/server/server-paths.js';
import { compileSecurity } from '../../src/startup-checks.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mcp-gw-oauth-unit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the file adapter', () => {
  it('keeps entries until they expire, in private files named by a hash of the id', async () => {
    let now = 1_000_000;
    const codes = new FileAdapter(dir, 'AuthorizationCode', () => now);
    await codes.upsert('../../etc/passwd', { grantId: 'g1', accountId: 'alice' }, 60);
    expect(await codes.find('../../etc/passwd')).toMatchObject({ accountId: 'alice' });
    const files = await readdir(path.join(dir, 'AuthorizationCode'));
    expect(files.every((f) => /^(id|grant)-[\w-]+\.(json|idx)$/.test(f))).toBe(true);
    const mode = (await stat(path.join(dir, 'AuthorizationCode', files[0] as string))).mode & 0o777;
    expect(mode).toBe(0o600);
    now += 61_000;
    expect(await codes.find('../../etc/passwd')).toBeUndefined();
  });

  it('marks consumed entries, finds sessions by uid, and revokes everything of a grant', async () => {
    const tokens = new FileAdapter(dir, 'RefreshToken');
    await tokens.upsert('t1', { grantId: 'g', accountId: 'a' }, 600);
    await tokens.upsert('t2', { grantId: 'g', accountId: 'a' }, 600);
    await tokens.upsert('t3', { grantId: 'other', accountId: 'a' }, 600);
    await tokens.consume('t1');
    expect((await tokens.find('t1'))?.consumed).toBeGreaterThan(0);
    await tokens.revokeByGrantId('g');
    expect(await tokens.find('t1')).toBeUndefined();
    expect(await tokens.find('t2')).toBeUndefined();
    expect(await tokens.find('t3')).toBeDefined();
    const sessions = new FileAdapter(dir, 'Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a' }, 600);
    expect(await sessions.findByUid('u1')).toMatchObject({ accountId: 'a' });
    await sessions.destroy('s1');
    expect(await sessions.findByUid('u1')).toBeUndefined();
  });

  it('forgets a registered client after 90 days unused, and sweeps what expired', async () => {
    let now = 0;
    const clients = new FileAdapter(dir, 'Client', () => now);
    await clients.upsert('c1', { client_id: 'c1' });
    now += 89 * 86_400_000;
    expect(await clients.find('c1')).toBeDefined(); // used: another 90 days
    now += 89 * 86_400_000;
    expect(await clients.find('c1')).toBeDefined();
    const codes = new FileAdapter(dir, 'AuthorizationCode', () => now);
    await codes.upsert('x', {}, 1);
    expect(await sweepExpired(dir, now + 2000)).toBe(1);
    expect(await sweepExpired(dir, now + 91 * 86_400_000)).toBe(1); // the client, unused since
  });
});

describe('accounts', () => {
  const alice = generateApiKey('alice', 'user');

  it('signs in with a key as the key, or as a listed user with the right password only', async () => {
    const accounts = new Accounts(new ApiKeys([alice.entry]), [
      await userEntry('carol', 'admin', 'a long password'),
    ]);
    expect(accounts.withKey(alice.key)).toEqual({ id: 'alice', role: 'user' });
    expect(accounts.withKey(`${alice.key}x`)).toBeUndefined();
    expect(await accounts.withPassword('carol', 'a long password')).toEqual({
      id: 'user:carol',
      role: 'admin',
    });
    expect(await accounts.withPassword('carol', 'a long passworD')).toBeUndefined();
    expect(await accounts.withPassword('nobody', 'a long password')).toBeUndefined();
    expect(accounts.find('alice')).toEqual({ id: 'alice', role: 'user' });
    expect(accounts.find('user:carol')?.role).toBe('admin');
    // A key or user removed from the configuration is an account no longer: its refresh tokens stop.
    expect(new Accounts(new ApiKeys([]), []).find('alice')).toBeUndefined();
  });

  it('refuses malformed entries and a name given twice', async () => {
    const e = await userEntry('dave', 'user', 'another long one');
    expect(() => new Accounts(new ApiKeys([]), ['dave:user:plaintext'])).toThrow(UserEntryError);
    expect(() => new Accounts(new ApiKeys([]), [e, e])).toThrow(/twice/);
    await expect(userEntry('a:b', 'user', 'x')).rejects.toThrow(UserEntryError);
  });
});

describe('what it issues tokens for, and who may reach it', () => {
  const pub = 'https://gw.example';
  it('only the gateway root and its MCP endpoints', () => {
    expect(ownAudience(pub, pub)).toBe(pub);
    expect(ownAudience(pub, `${pub}/`)).toBe(`${pub}/`);
    expect(ownAudience(pub, `${pub}/package/firecrawl-mcp/mcp`)).toBe(`${pub}/package/firecrawl-mcp/mcp`);
    expect(ownAudience(pub, `${pub}/package/x/sse`)).toBe(`${pub}/package/x/sse`);
    // The URL a user was given, settings and all: the token is for the endpoint.
    expect(ownAudience(pub, `${pub}/package/x/mcp?apiKey=k`)).toBe(`${pub}/package/x/mcp`);
    expect(ownAudience(pub, `${pub}/package/x/mcp#f`)).toBeUndefined();
    expect(ownAudience(pub, `${pub}/processes`)).toBeUndefined();
    expect(ownAudience(pub, 'https://gw.example.evil/package/x/mcp')).toBeUndefined();
    expect(ownAudience(pub, 'https://other.example/mcp')).toBeUndefined();
  });

  it('browsers of any site may use every endpoint but the sign-in and consent forms', () => {
    expect(openToBrowsers('GET', '/oauth/auth')).toBe(true);
    expect(openToBrowsers('GET', '/oauth/interaction/abc')).toBe(true);
    expect(openToBrowsers('POST', '/oauth/token')).toBe(true);
    expect(openToBrowsers('POST', '/oauth/interaction/abc/login')).toBe(false);
    expect(openToBrowsers('POST', '/oauth/interaction/abc/consent')).toBe(false);
    expect(openToBrowsers('GET', '/processes')).toBe(false);
  });
});

describe('start-up checks', () => {
  it('refuses OAUTH_BUILTIN without PUBLIC_URL, with a bad user entry, or with nobody to sign in', async () => {
    const key = generateApiKey('alice', 'user').entry;
    const base = { OAUTH_BUILTIN: 'true', OAUTH_DATA_DIR: dir };
    await expect(compileSecurity(loadConfig({ ...base, API_KEYS: key }))).rejects.toThrow(/PUBLIC_URL/);
    await expect(
      compileSecurity(loadConfig({ ...base, API_KEYS: key, PUBLIC_URL: 'http://gw.example' })),
    ).rejects.toThrow(/PUBLIC_URL/); // plain http off loopback
    await expect(
      compileSecurity(loadConfig({ ...base, PUBLIC_URL: 'https://gw.example', OAUTH_USERS: 'x:user:pw' })),
    ).rejects.toThrow(/OAUTH_USERS/);
    await expect(compileSecurity(loadConfig({ ...base, PUBLIC_URL: 'https://gw.example' }))).rejects.toThrow(
      /nobody could sign in/,
    );
    const ok = await compileSecurity(
      loadConfig({ ...base, API_KEYS: key, PUBLIC_URL: 'https://gw.example' }),
    );
    expect(ok.authorizationServer?.issuer).toBe('https://gw.example/oauth');
    expect(ok.auth.oauth?.settings.issuers).toEqual(['https://gw.example/oauth']);
    ok.authorizationServer?.close();
  });
});
