/** The browser rule (Fetch Metadata, Origin, Referer) against what browsers send for each kind of load. */
import { describe, expect, it } from 'vitest';
import { type BrowserSignals, judgeBrowserRequest } from '../../src/policy/browser-request.js';
import { compileOrigins } from '../../src/policy/origin-check.js';

const rule = {
  allowedOrigins: compileOrigins(['http://localhost:*']),
  registryOrigins: compileOrigins(['https://gallery.example']),
  publicPaths: new Set(['/dashboard', '/dashboard/app.js']),
};
const at = (path: string, extra: Partial<BrowserSignals> = {}): BrowserSignals => ({
  url: `http://127.0.0.1:3000${path}`,
  path,
  origin: undefined,
  site: undefined,
  referer: undefined,
  ...extra,
});
const ok = (s: BrowserSignals) => judgeBrowserRequest(s, rule).ok;

describe('judgeBrowserRequest', () => {
  const launch = '/package/x/stdio';
  it('lets programs through: no Origin, no Fetch Metadata, no Referer (curl, SDKs, Inspector CLI)', () => {
    expect(ok(at(launch))).toBe(true);
    expect(ok(at('/processes'))).toBe(true);
  });

  it('refuses what a page on another site causes without an Origin: img, script, iframe, form GET, navigation', () => {
    for (const site of ['cross-site', 'same-site', 'CROSS-SITE'])
      for (const path of [launch, '/processes', '/sessions', '/health', '/v0.1/servers', '/package/x/mcp'])
        expect(ok(at(path, { site })), `${site} ${path}`).toBe(false);
  });

  it('refuses foreign and null Origins (form POST, fetch no-cors, sandboxed frames) even without metadata', () => {
    expect(ok(at(launch, { origin: 'https://evil.example', site: 'cross-site' }))).toBe(false);
    expect(ok(at(launch, { origin: 'https://evil.example' }))).toBe(false);
    expect(ok(at(launch, { origin: 'null', site: 'cross-site' }))).toBe(false);
    expect(ok(at(launch, { origin: 'null' }))).toBe(false);
  });

  it('passes the gateway’s own pages, the user’s own navigations and allowed origins', () => {
    expect(ok(at('/processes', { site: 'same-origin' }))).toBe(true);
    expect(ok(at('/processes', { site: 'same-origin', origin: 'http://127.0.0.1:3000' }))).toBe(true);
    expect(ok(at(launch, { site: 'none' }))).toBe(true);
    expect(ok(at('/package/x/mcp', { site: 'same-site', origin: 'http://localhost:6274' }))).toBe(true);
  });

  it('lets any page load the dashboard page and its assets (they act only with the user’s key)', () => {
    expect(ok(at('/dashboard', { site: 'cross-site' }))).toBe(true);
    expect(ok(at('/dashboard/app.js', { site: 'cross-site', origin: 'https://evil.example' }))).toBe(true);
    expect(ok(at('/dashboard/events', { site: 'cross-site' }))).toBe(false);
  });

  it('lets REGISTRY_API_CORS origins read /v0.1 only', () => {
    const gallery = { origin: 'https://gallery.example', site: 'cross-site' };
    expect(ok(at('/v0.1/servers', gallery))).toBe(true);
    expect(ok(at(launch, gallery))).toBe(false);
    expect(judgeBrowserRequest(at('/v0.1/servers', gallery), { ...rule, registryOrigins: [] }).ok).toBe(
      false,
    );
    expect(
      judgeBrowserRequest(at('/v0.1/servers', { origin: 'https://a.example' }), {
        ...rule,
        registryOrigins: 'any',
      }).ok,
    ).toBe(true);
  });

  it('refuses a foreign Referer when a browser sends no Fetch Metadata (older browsers)', () => {
    expect(ok(at(launch, { referer: 'https://evil.example/page.html' }))).toBe(false);
    expect(ok(at(launch, { referer: 'http://127.0.0.1:3000/dashboard' }))).toBe(true);
    expect(ok(at(launch, { referer: 'http://localhost:5173/' }))).toBe(true);
    expect(ok(at(launch, { referer: 'not a url' }))).toBe(true);
  });
});
