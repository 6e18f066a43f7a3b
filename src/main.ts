/**
 * @module Entry point: reads configuration (environment, plus --port/--host flags), serves the gateway
 * over HTTP and shuts down in order on SIGTERM/SIGINT (stop listening, stop every child, exit).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { ConfigError, loadConfig } from './config/config.js';
import { npmConfiguredRegistry } from './config/npm-registry-default.js';
import { pipConfiguredIndexes } from './config/pip-index-default.js';
import { createGateway } from './gateway.js';
import { serverOptions } from './http/server-options.js';
import { which } from './process/runtime-detect.js';

function packageVersion(): string {
  try {
    return (
      JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
  } catch {
    return '0.0.0';
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, host: { type: 'string' } },
    strict: true,
  });
  const env = { ...process.env };
  if (!env.NPM_REGISTRY_URL && !env.NPM_CONFIG_REGISTRY)
    env.NPM_REGISTRY_URL = await npmConfiguredRegistry(await which('npm'));
  // pip's own configuration (index-url, extra-index-url), unless PYPI_INDEX_URL says otherwise.
  if (!env.PYPI_INDEX_URL && !env.PIP_INDEX_URL) {
    const pip = await pipConfiguredIndexes(await which(env.PYTHON_BIN ?? 'python3'));
    if (pip.indexUrl) env.PYPI_INDEX_URL = pip.indexUrl;
    if (!env.PYPI_EXTRA_INDEX_URLS && pip.extraIndexUrls.length > 0)
      env.PYPI_EXTRA_INDEX_URLS = pip.extraIndexUrls.join(',');
  }
  const config = loadConfig(env, {
    server: { port: values.port as unknown as number, host: values.host, version: packageVersion() },
  });
  const gw = await createGateway(config);
  const server = serve(
    {
      fetch: gw.app.fetch,
      port: config.server.port,
      hostname: config.server.host,
      serverOptions: serverOptions(config.http),
    },
    (info) => {
      gw.logger.info(
        {
          host: config.server.host,
          port: info.port,
          store: config.store.dir,
          npm: config.registry.npmUrl,
          pypi: [config.registry.pypiIndexUrl, ...config.registry.pypiExtraIndexUrls],
        },
        'mcp-registry-server listening',
      );
    },
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    gw.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    server.close();
    await gw.shutdown();
    // The log destinations buffer: write out what is left before exiting.
    await new Promise<void>((resolve) => {
      gw.logger.flush(() => resolve());
      setTimeout(resolve, 2000).unref();
    });
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
