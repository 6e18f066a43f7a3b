/** Tool permissions (pure): who a rule names, packages, globs, and the guard at a port. */
import { describe, expect, it } from 'vitest';
import { PermissionGuards } from '../../src/front/permission-guard.js';
import type { Principal } from '../../src/policy/principal.js';
import { PermissionsSchema, ToolPermissions } from '../../src/policy/tool-permissions.js';

const pkg = { registry: 'npm' as const, name: 'firecrawl-mcp', version: '3.2.1' };
const alice: Principal = { id: 'alice', role: 'user', anonymous: false };
const svc: Principal = { id: 'oauth:svc', role: 'user', anonymous: false, scopes: ['mcp:user', 'crawl'] };
const root: Principal = { id: 'ops', role: 'admin', anonymous: false };

const policy = (rules: unknown[]) => new ToolPermissions(PermissionsSchema.parse({ rules }));

describe('tool permissions', () => {
  it('names principals by id, role, scope or *; the rules that name one are joined', () => {
    const p = policy([
      { principal: 'alice', packages: ['firecrawl-mcp'], tools: ['scrape'] },
      { principal: 'role:user', packages: ['firecrawl-*@>=3'], tools: ['search'] },
      { principal: 'scope:crawl', packages: ['firecrawl-mcp'], tools: ['crawl_*'] },
    ]);
    const a = p.allowanceFor(alice, pkg);
    expect([a?.tool('scrape'), a?.tool('search'), a?.tool('crawl_status')]).toEqual([true, true, false]);
    const s = p.allowanceFor(svc, pkg);
    expect([s?.tool('scrape'), s?.tool('search'), s?.tool('crawl_status')]).toEqual([false, true, true]);
    expect(p.allowanceFor(root, pkg)).toBeUndefined(); // named by no rule: everything
    expect(p.allowanceFor(alice, { ...pkg, name: 'other-mcp' })).toBeNull();
    expect(() => p.checkPackage(alice, { ...pkg, name: 'other-mcp' })).toThrow(/do not include other-mcp/);
    expect(
      policy([{ principal: '*', tools: [] }])
        .allowanceFor(root, pkg)
        ?.tool('x'),
    ).toBe(false);
  });

  it('guards a port: lists filtered, calls, prompts and reads refused with TOOL_NOT_ALLOWED', () => {
    const p = policy([
      {
        principal: 'alice',
        packages: ['*'],
        tools: ['get_*'],
        prompts: ['summary'],
        resources: ['file:///docs/*'],
      },
    ]);
    const guard = new PermissionGuards(p).for(alice, pkg);
    if (!guard) throw new Error('no guard');
    expect(guard.refuse('tools/call', { name: 'get_page' })).toBeUndefined();
    expect(guard.refuse('tools/call', { name: 'delete_all' })).toMatchObject({
      code: -32602,
      data: { code: 'TOOL_NOT_ALLOWED', guidance: { kind: 'tool', name: 'delete_all' } },
    });
    expect(guard.refuse('prompts/get', { name: 'other' })?.data).toMatchObject({ code: 'TOOL_NOT_ALLOWED' });
    expect(guard.refuse('resources/read', { uri: 'file:///etc/passwd' })).toBeDefined();
    expect(guard.refuse('resources/read', { uri: 'file:///docs/a.md' })).toBeUndefined();
    expect(
      guard.shape('tools/list', { tools: [{ name: 'get_page' }, { name: 'delete_all' }], nextCursor: 'c' }),
    ).toEqual({
      tools: [{ name: 'get_page' }],
      nextCursor: 'c',
    });
    expect(guard.shape('prompts/list', { prompts: [{ name: 'summary' }, { name: 'x' }] })).toEqual({
      prompts: [{ name: 'summary' }],
    });
    expect(
      guard.shape('resources/templates/list', {
        resourceTemplates: [{ uriTemplate: 'file:///docs/{p}' }, { uriTemplate: 'db://{t}' }],
      }),
    ).toEqual({ resourceTemplates: [{ uriTemplate: 'file:///docs/{p}' }] });
    // A change of the rules reaches the guard at its next use.
    p.replace(PermissionsSchema.parse({ rules: [] }));
    expect(guard.refuse('tools/call', { name: 'delete_all' })).toBeUndefined();
  });

  it('costs nothing while no rule exists', () => {
    expect(new PermissionGuards(new ToolPermissions()).for(alice, pkg)).toBeUndefined();
  });
});
