/** The settings table: variables, aliases, flags, and errors that name what the operator set. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { flagOf, fromEnv, SETTINGS } from '../../src/config/settings.js';

describe('settings', () => {
  it('names every setting once, with a flag derived from its variable', () => {
    const envs = SETTINGS.map((s) => s.env);
    expect(new Set(envs).size).toBe(envs.length);
    expect(flagOf(SETTINGS.find((s) => s.env === 'MAX_PROCESSES') as (typeof SETTINGS)[number])).toBe(
      'max-processes',
    );
  });

  it('reads aliases (npm and pip names) when the main variable is unset', () => {
    const c = fromEnv({
      NPM_CONFIG_REGISTRY: 'http://npm.example',
      PIP_INDEX_URL: 'http://pip.example/simple',
    });
    expect(c.registry?.npmUrl).toBe('http://npm.example');
    expect(c.registry?.pypiIndexUrl).toBe('http://pip.example/simple');
    expect(fromEnv({ NPM_REGISTRY_URL: 'http://a', NPM_CONFIG_REGISTRY: 'http://b' }).registry?.npmUrl).toBe(
      'http://a',
    );
  });

  it('names the variable, not the schema path, in configuration errors', () => {
    const error = (() => {
      try {
        loadConfig({ MAX_PROCESSES: '0', SANDBOX: 'maybe' });
      } catch (err) {
        return err as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toMatch(/MAX_PROCESSES: Too small/);
    expect(error?.message).toMatch(/SANDBOX: Invalid option/);
    expect(error?.message).not.toContain('process.maxProcesses');
  });

  it('resolves directories against the working directory', () => {
    expect(fromEnv({ STORE_DIR: 'relative/store' }).store?.dir).toMatch(/^\/.*relative\/store$/);
  });
});
