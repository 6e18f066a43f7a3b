/**
 * @module `mcp-registry-server [serve]`: reads the configuration (environment and flags), serves the
 * gateway over HTTP and shuts down in order on SIGTERM/SIGINT (stop listening, let requests in flight
 * finish, end sessions and stop every child, leave the cluster, exit).
 */
import { serve } from '@hono/node-server';
import { type Config, loadConfig } from '../config/config.js';
import { npmConfiguredRegistry } from '../config/npm-registry-default.js';
import { pipConfiguredIndexes } from '../config/pip-index-default.js';
import { createGateway } from '../gateway.js';
import { serverOptions } from '../http/server-options.js';
import { closeLogFiles } from '../observability/logger.js';
import { which } from '../process/runtime-detect.js';
import { CliError } from './cli-error.js';

type Env = Record<string, string | undefined>;

/** The configuration from `env`, with npm's and pip's own configured registries as defaults. */
export async function configFrom(env: Env, version: string): Promise<Config> {
  env = { ...env };
  if (!env.NPM_REGISTRY_URL && !env.NPM_CONFIG_REGISTRY)
    env.NPM_REGISTRY_URL = await npmConfiguredRegistry(await which('npm'));
  // pip's own configuration (index-url, extra-index-url), unless PYPI_INDEX_URL says otherwise.
  if (!env.PYPI_INDEX_URL && !env.PIP_INDEX_URL) {
    const pip = await pipConfiguredIndexes(await which(env.PYTHON_BIN ?? 'python3'));
    if (pip.indexUrl) env.PYPI_INDEX_URL = pip.indexUrl;
    if (!env.PYPI_EXTRA_INDEX_URLS && pip.extraIndexUrls.length > 0)
      env.PYPI_EXTRA_INDEX_URLS = pip.extraIndexUrls.join(',');
  }
  return loadConfig(env, { server: { version } });
}

/** The one line a person reads at start: where, the dashboard, the sandbox, memory limits, keys. */
function startLine(
  config: Config,
  port: number,
  s: { sandbox: string; memory: string; keys: string },
): string {
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const url = `http://${host}:${port}`;
  const pub = config.http.publicUrl ?? url;
  const logs = config.log.dir ? ` · logs ${config.log.dir}` : '';
  return `mcp-registry-server ${config.server.version} listening on ${url} · dashboard ${pub}/dashboard · sandbox ${s.sandbox} · memory ${s.memory} · API keys ${s.keys}${logs}\n`;
}

/** Serves until SIGTERM/SIGINT. @throws CliError when the port cannot be bound. */
export async function serveGateway(config: Config): Promise<void> {
  // On a terminal, people read the start line and the log files; elsewhere (PM2, systemd, containers)
  // the JSON lines on stdout are what is collected.
  const format = config.log.format ?? (process.stdout.isTTY ? 'none' : 'json');
  const gw = await createGateway(config, { logConsole: format === 'json' ? 'stdout' : 'none' });
  const server = serve(
    {
      fetch: gw.app.fetch,
      port: config.server.port,
      hostname: config.server.host,
      serverOptions: serverOptions(config.http),
      createServer: gw.createServer,
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
      process.stderr.write(startLine(config, info.port, gw.summary()));
    },
  );

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (err) {
    await gw.shutdown();
    const code = (err as NodeJS.ErrnoException).code;
    const where = `${config.server.host}:${config.server.port}`;
    if (code === 'EADDRINUSE')
      throw new CliError(
        `Port ${config.server.port} is already in use on ${config.server.host}: stop what listens there, or choose another port with --port or PORT.`,
      );
    if (code === 'EACCES')
      throw new CliError(`Not allowed to listen on ${where}: use a port above 1023, or --port / PORT.`);
    if (code === 'EADDRNOTAVAIL')
      throw new CliError(`${config.server.host} is not an address of this machine: check --host / HOST.`);
    throw err;
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    gw.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), config.cluster.drainMs + 30_000);
    force.unref();
    // Stop taking connections, let what is in flight finish (a PM2 reload's old worker), then end.
    server.close();
    await gw.drain();
    await gw.shutdown();
    // Write out what the log destinations hold before exiting.
    gw.logger.flush();
    await Promise.race([closeLogFiles(gw.logger), new Promise((r) => setTimeout(r, 2000).unref())]);
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
