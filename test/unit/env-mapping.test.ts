import { describe, expect, it } from 'vitest';
import { deniedReason, mapParamsToEnv, passthroughEnv, toEnvName } from '../../src/runtime/env-mapping.js';
import { isSecretName, looksSecret, maskEnv } from '../../src/runtime/secret-values.js';

const limits = { maxValueBytes: 64, maxParams: 8 };
const codeOf = (pairs: Array<[string, string]>) => {
  try {
    mapParamsToEnv(pairs, limits);
    return 'OK';
  } catch (err) {
    return (err as { code: string }).code;
  }
};

describe('toEnvName (the seed table)', () => {
  it.each([
    ['apiKey', 'API_KEY'],
    ['myCustomParam', 'MY_CUSTOM_PARAM'],
    ['snake_case_param', 'SNAKE_CASE_PARAM'],
    ['kebab-case-param', 'KEBAB_CASE_PARAM'],
    ['camelCaseParam', 'CAMEL_CASE_PARAM'],
    ['firecrawlApiKey', 'FIRECRAWL_API_KEY'],
    ['firecrawlAPIKey', 'FIRECRAWL_API_KEY'],
    ['FIRECRAWL_API_KEY', 'FIRECRAWL_API_KEY'],
    ['projectRef', 'PROJECT_REF'],
    ['oauth2Token', 'OAUTH2_TOKEN'],
  ])('%s -> %s', (param, env) => {
    expect(toEnvName(param)).toBe(env);
  });
});

describe('mapParamsToEnv', () => {
  it('maps every parameter but args', () => {
    expect(
      mapParamsToEnv(
        [
          ['apiKey', 'k'],
          ['readOnly', 'true'],
          ['args', '--x'],
        ],
        limits,
      ),
    ).toEqual({ API_KEY: 'k', READ_ONLY: 'true' });
  });

  it.each([
    'NODE_OPTIONS',
    'nodeOptions',
    'NODE_PATH',
    'LD_PRELOAD',
    'ldPreload',
    'LD_LIBRARY_PATH',
    'DYLD_INSERT_LIBRARIES',
    'PYTHONPATH',
    'pythonStartup',
    'PYTHONHOME',
    'PATH',
    'path',
    'HOME',
    'BASH_ENV',
    'PERL5OPT',
    'PERL5LIB',
    'RUBYOPT',
    'GLIBC_TUNABLES',
    'JAVA_TOOL_OPTIONS',
    'npm_config_registry',
    'PIP_INDEX_URL',
    'GIT_SSH_COMMAND',
    'TMPDIR',
    'ENV',
    'OPENSSL_MODULES',
    'HOSTALIASES',
    'RES_OPTIONS',
    'LOCALDOMAIN',
    'ZDOTDIR',
    'xdgConfigHome',
    'COREPACK_HOME',
  ])('refuses %s', (name) => {
    expect(codeOf([[name, 'x']])).toBe('ENV_NAME_DENIED');
  });

  it('allows harmless NODE_ENV and LANG', () => {
    expect(
      mapParamsToEnv(
        [
          ['NODE_ENV', 'production'],
          ['lang', 'de_DE.UTF-8'],
        ],
        limits,
      ),
    ).toEqual({ NODE_ENV: 'production', LANG: 'de_DE.UTF-8' });
  });

  it.each([
    [[['1abc', 'x']]],
    [[['a b', 'x']]],
    [[['a.b', 'x']]],
    [[['', 'x']]],
    [
      [
        ['apiKey', 'a'],
        ['apiKey', 'b'],
      ],
    ],
    [
      [
        ['apiKey', 'a'],
        ['api-key', 'b'],
      ],
    ],
    [[['apiKey', 'nul\u0000byte']]],
    [[['apiKey', 'x'.repeat(65)]]],
    [Array.from({ length: 9 }, (_, i) => [`p${i}`, 'x'])],
  ])('refuses invalid input %j', (pairs) => {
    expect(codeOf(pairs as Array<[string, string]>)).toBe('INVALID_PARAMETER');
  });

  it('masks what is secret and keeps plain settings readable', () => {
    expect(
      maskEnv({
        API_KEY: 'secret',
        PADDLE_ENVIRONMENT: 'sandbox',
        REGION: 'us-east-1',
        READ_ONLY: 'true',
        API_URL: 'http://127.0.0.1:8080/v1',
        DATABASE_URL: 'postgres://app:hunter2@db/app',
        NOTES: 'fc-9f8e7d6c5b4a39281706',
      }),
    ).toEqual({
      API_KEY: '***',
      PADDLE_ENVIRONMENT: 'sandbox',
      REGION: 'us-east-1',
      READ_ONLY: 'true',
      API_URL: 'http://127.0.0.1:8080/v1',
      DATABASE_URL: '***',
      NOTES: '***',
    });
    expect(deniedReason('API_KEY')).toBeUndefined();
  });

  it.each([
    'FIRECRAWL_API_KEY',
    'TWILIO_ACCOUNT_SID',
    'GITHUB_PERSONAL_ACCESS_TOKEN',
    'CLIENT_SECRET',
    'DB_PASSWORD',
    'SESSION_COOKIE',
    'APIKEY',
    'SLACK_BOT_TOKEN',
    'AWS_SECRET_ACCESS_KEY',
    'BASIC_AUTH',
    'GOOGLE_APPLICATION_CREDENTIALS',
  ])('%s names a secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each(['PADDLE_ENVIRONMENT', 'REGION', 'CONSIDER_INSIDE', 'LOG_LEVEL', 'MONKEY_MODE_X', 'AUTHOR'])(
    '%s does not, by name',
    (name) => {
      // MONKEY ends in KEY: erring towards masking a value is the safe side; the rest are plain.
      expect(isSecretName(name)).toBe(name === 'MONKEY_MODE_X');
    },
  );

  it('tells key-like values from words', () => {
    for (const v of [
      'sk_live_51H8a9GfQ2x7LmN0',
      'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
      'https://x:y@h/',
    ])
      expect(looksSecret(v), v).toBe(true);
    for (const v of [
      'sandbox',
      'production',
      'us-east-1',
      'true',
      '2026-11-25T10:00:00Z',
      'a long plain sentence 123',
    ])
      expect(looksSecret(v), v).toBe(false);
  });
});

describe('passthroughEnv', () => {
  it('copies the listed variables that exist, and refuses those that load code', () => {
    expect(
      passthroughEnv(['NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'https_proxy', 'MISSING'], {
        NODE_EXTRA_CA_CERTS: '/ca.pem',
        HTTPS_PROXY: 'http://p:3128',
        https_proxy: 'http://p:3128',
      }),
    ).toEqual({
      NODE_EXTRA_CA_CERTS: '/ca.pem',
      HTTPS_PROXY: 'http://p:3128',
      https_proxy: 'http://p:3128',
    });
    expect(() => passthroughEnv(['NODE_OPTIONS', 'LD_PRELOAD'], {})).toThrow(/NODE_OPTIONS, LD_PRELOAD/);
  });
});
