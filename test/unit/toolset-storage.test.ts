/**
 * Toolsets at rest: definitions validated whole (aliases, package specs by the /package/ rules, tool
 * globs), parameters sealed with AES-256-GCM under their place (a value moved to another toolset or
 * alias does not open, nor one opened with another key), the key from SECRETS_KEY or a 0600 key file
 * made once, and answers that show parameter names with their values masked.
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseToolset, toolMatcher } from '../../src/policy/toolset-definition.js';
import { SecretBox, SecretBoxError } from '../../src/store/secret-box.js';
import { ToolsetStore } from '../../src/store/toolset-store.js';

const BODY = {
  servers: [
    {
      alias: 'ev',
      package: '@modelcontextprotocol/server-everything',
      params: { apiKey: 'ts-secret-1' },
      tools: ['echo', 'get-*'],
    },
  ],
};
const code = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (err) {
    return (err as { code?: string; message: string }).code ?? (err as Error).message;
  }
};

describe('toolset definitions', () => {
  it('accepts the documented form and matches tools by glob', () => {
    const t = parseToolset('daily', BODY);
    expect(t.servers[0]?.alias).toBe('ev');
    expect(toolMatcher(t.servers[0] ?? {})('echo')).toBe(true);
    expect(toolMatcher(t.servers[0] ?? {})('get-sum')).toBe(true);
    expect(toolMatcher(t.servers[0] ?? {})('gzip-file-as-resource')).toBe(false);
    expect(toolMatcher({})('anything')).toBe(true);
  });

  it('refuses what cannot be served or named, saying which field', () => {
    const server = BODY.servers[0];
    const cases: Array<[string, unknown]> = [
      ['Bad Name', BODY],
      ['ok', { servers: [] }],
      ['ok', { servers: [{ ...server, alias: 'a__b' }] }],
      ['ok', { servers: [server, server] }],
      ['ok', { servers: [{ ...server, package: 'https://evil.example/x.tgz' }] }],
      ['ok', { servers: [{ ...server, package: 'github:user/repo' }] }],
      ['ok', { servers: [{ ...server, extra: 1 }] }],
      ['ok', 'not an object'],
    ];
    for (const [name, body] of cases)
      expect(
        code(() => parseToolset(name, body)),
        JSON.stringify(body),
      ).toBe('INVALID_TOOLSET');
    try {
      parseToolset('ok', { servers: [server, server] });
    } catch (err) {
      expect((err as Error).message).toBe("servers.1.alias: 'ev' is used twice.");
    }
  });
});

describe('sealed parameters', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcp-gw-toolsets-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes a 0600 key file once, and seals values to their place', async () => {
    const box = SecretBox.open(undefined, dir);
    const key = path.join(dir, 'secrets.key');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const again = SecretBox.open(undefined, dir); // the same file, the same key
    const sealed = box.seal('hello', 'toolset/a/ev');
    expect(again.unseal(sealed, 'toolset/a/ev')).toBe('hello');
    expect(() => box.unseal(sealed, 'toolset/b/ev')).toThrow(SecretBoxError);
    const [v, iv, tag, body] = sealed.split('.');
    const flipped = `${v}.${iv}.${tag}.${(body ?? '').startsWith('A') ? 'B' : 'A'}${(body ?? '').slice(1)}`;
    expect(() => box.unseal(flipped, 'toolset/a/ev')).toThrow(/does not open/);
    const other = SecretBox.open(Buffer.alloc(32, 7).toString('base64'), dir);
    expect(other.source).toBe('SECRETS_KEY');
    expect(() => other.unseal(sealed, 'toolset/a/ev')).toThrow(/does not open with the key of SECRETS_KEY/);
    expect(() => SecretBox.open('too-short', dir)).toThrow(/32 bytes/);
    expect(
      SecretBox.open('ab'.repeat(32), dir).unseal(SecretBox.open('ab'.repeat(32), dir).seal('x', 'p'), 'p'),
    ).toBe('x');
    await writeFile(path.join(dir, 'unused'), '');
  });

  it('keeps no parameter in the clear on disk, and shows names with values masked', async () => {
    const store = new ToolsetStore(dir, SecretBox.open(undefined, dir));
    await store.init();
    const view = await store.put(parseToolset('daily', BODY), 'ops');
    expect(view.servers[0]?.params).toEqual({ apiKey: '***' });
    const file = await readFile(path.join(dir, 'toolsets', 'daily.json'), 'utf8');
    expect(file).not.toContain('ts-secret-1');
    expect(statSync(path.join(dir, 'toolsets', 'daily.json')).mode & 0o777).toBe(0o600);
    expect(store.get('daily')?.servers[0]?.params).toEqual({ apiKey: 'ts-secret-1' });
    expect(store.list().map((t) => t.name)).toEqual(['daily']);
    // A sealed value moved into another toolset's file does not open there.
    const moved = JSON.parse(file);
    moved.name = 'copy';
    await writeFile(path.join(dir, 'toolsets', 'copy.json'), JSON.stringify(moved));
    expect(() => store.get('copy')).toThrow(SecretBoxError);
    expect(store.view('copy')?.servers[0]?.params).toEqual({ apiKey: '***' });
    expect(store.delete('daily')).toBe(true);
    expect(store.delete('daily')).toBe(false);
    expect(store.view('../secrets')).toBeUndefined();
    expect(readFileSync(path.join(dir, 'secrets.key'), 'utf8')).not.toBe('');
  });
});
