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

  it('reads the cluster settings, and refuses a cluster address the other instances cannot reach', () => {
    expect(loadConfig({}).cluster).toMatchObject({ address: '127.0.0.1:0', heartbeatMs: 2000 });
    expect(loadConfig({}).cluster.redisUrl).toBeUndefined();
    const c = loadConfig({ REDIS_URL: 'redis://10.0.0.2:6379', CLUSTER_ADDRESS: '10.0.0.5:7000' }).cluster;
    expect(c).toMatchObject({ redisUrl: 'redis://10.0.0.2:6379', address: '10.0.0.5:7000' });
    expect(() => loadConfig({ CLUSTER_ADDRESS: '0.0.0.0:0' })).toThrow(
      /CLUSTER_ADDRESS: an address the other/,
    );
    expect(() => loadConfig({ CLUSTER_ADDRESS: 'host-without-port' })).toThrow(
      /CLUSTER_ADDRESS: expected host:port/,
    );
    expect(() => loadConfig({ CLUSTER_SECRET: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_URL: 'not a url' })).toThrow(/REDIS_URL/);
  });

  it('resolves directories against the working directory', () => {
    expect(fromEnv({ STORE_DIR: 'relative/store' }).store?.dir).toMatch(/^\/.*relative\/store$/);
  });
});
