import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../../src/errors/gateway-error.js';
import { candidateRegistries, parsePackageSpec } from '../../src/spec/package-spec.js';

function codeOf(spec: string): string {
  try {
    parsePackageSpec(spec);
    return 'OK';
  } catch (err) {
    return (err as GatewayError).code;
  }
}

describe('parsePackageSpec', () => {
  it.each([
    ['firecrawl-mcp', { name: 'firecrawl-mcp', version: 'latest' }],
    ['firecrawl-mcp@latest', { name: 'firecrawl-mcp', version: 'latest' }],
    ['firecrawl-mcp@1.2.3', { name: 'firecrawl-mcp', version: '1.2.3' }],
    ['firecrawl-mcp@^1.2.0', { name: 'firecrawl-mcp', version: '^1.2.0' }],
    ['firecrawl-mcp@~1.2.0', { name: 'firecrawl-mcp', version: '~1.2.0' }],
    ['firecrawl-mcp@>=1 <2', { name: 'firecrawl-mcp', version: '>=1 <2' }],
    ['@supabase/mcp-server-supabase', { name: '@supabase/mcp-server-supabase', version: 'latest' }],
    ['@supabase/mcp-server-supabase@0.5.1', { name: '@supabase/mcp-server-supabase', version: '0.5.1' }],
    ['awslabs.openapi-mcp-server', { name: 'awslabs.openapi-mcp-server', version: 'latest' }],
    [
      'pypi:awslabs.openapi-mcp-server@==1.2.*',
      { registry: 'pypi', name: 'awslabs.openapi-mcp-server', version: '==1.2.*' },
    ],
    ['pypi:Some_Project@>=1.0,<2', { registry: 'pypi', name: 'Some_Project', version: '>=1.0,<2' }],
    ['npm:@scope/pkg@next', { registry: 'npm', name: '@scope/pkg', version: 'next' }],
    ['NPM:pkg', { registry: 'npm', name: 'pkg', version: 'latest' }],
  ])('accepts %s', (spec, expected) => {
    expect(parsePackageSpec(spec)).toMatchObject(expected);
  });

  it.each([
    'https://mcp.webflow.com/sse',
    'http://localhost:8080/mcp',
    'git+https://github.com/a/b.git',
    'git@github.com:a/b.git',
    'github:user/repo',
    'gitlab:user/repo',
    'user/repo',
    'file:../local',
    '/etc/passwd',
    './local-dir',
    '../up',
    '~/pkg',
    'foo/../bar',
    'pkg-1.0.0.tgz',
    'pkg.tar.gz',
    'pkg-1.0-py3-none-any.whl',
    'alias@npm:real-package',
    'pkg@github:user/repo',
    'pkg@https://example.com/pkg.tgz',
    'pkg@file:../x',
    'npm:https://evil.example/x',
    'pypi:../x',
    'C:\\pkgs\\x',
  ])('refuses the non-registry source %s', (spec) => {
    expect(codeOf(spec)).toBe('REMOTE_NOT_SUPPORTED');
  });

  it.each([
    '',
    '@',
    '@scope/',
    '-leading-dash',
    'has space',
    'a\u0000b',
    'x'.repeat(400),
    'npm:UpperCase',
    'pypi:@scope/name',
    '.hidden',
    'na$me',
  ])('refuses the invalid name %j', (spec) => {
    expect(codeOf(spec)).toBe('INVALID_PACKAGE_SPEC');
  });

  it.each(['pkg@', 'pkg@1.0;rm', 'pkg@$(x)'])('refuses the invalid version in %s', (spec) => {
    expect(codeOf(spec)).toBe('INVALID_VERSION_SPEC');
  });

  it('detects npm first, then PyPI, for names valid in both', () => {
    expect(candidateRegistries(parsePackageSpec('mcp-server'))).toEqual(['npm', 'pypi']);
    expect(candidateRegistries(parsePackageSpec('Django_MCP'))).toEqual(['pypi']);
    expect(candidateRegistries(parsePackageSpec('@scope/x'))).toEqual(['npm']);
    expect(candidateRegistries(parsePackageSpec('pypi:mcp-server'))).toEqual(['pypi']);
  });
});
