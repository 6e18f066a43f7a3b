/**
 * @module `mcp-registry-server install <spec> ...`: resolves, checks and installs packages into the store
 * before the gateway goes live, with the same gates as a request (policy, quality), and says how each
 * went. Nothing is launched.
 */
import type { Config } from '../config/config.js';
import { toErrorResponse } from '../errors/error-response.js';
import { createGateway } from '../gateway.js';
import type { LaunchStep } from '../launch/package-launcher.js';
import { closeLogFiles } from '../observability/logger.js';
import { LOCAL_OPERATOR } from '../policy/principal.js';
import { CliError } from './cli-error.js';

const LOCAL_CALLER = { principal: LOCAL_OPERATOR, address: '127.0.0.1' };

/** One line of install progress. */
function describeStep(s: LaunchStep): string {
  switch (s.step) {
    case 'resolved':
      return `  resolved ${s.registry} ${s.name}@${s.version}${s.quality.checked ? '' : ' (quality not checked)'}\n`;
    case 'installing':
      return '  installing …\n';
    case 'output':
      return `    | ${s.line}\n`;
    case 'installed':
      return `  installed in ${s.ms} ms\n`;
    case 'cached':
      return '  already in the store\n';
    default:
      return '';
  }
}

export async function installCommand(
  specs: string[],
  config: Config,
  out: (text: string) => void,
): Promise<void> {
  if (specs.length === 0) throw new CliError('Usage: mcp-registry-server install <spec> [<spec> ...]', 2);
  // Human lines on the console; JSON log lines only in the log files, or on stderr with --log-format json.
  const gw = await createGateway(config, { logConsole: config.log.format === 'json' ? 'stderr' : 'none' });
  let failed = 0;
  try {
    for (const spec of specs) {
      out(`${spec}: resolving …\n`);
      const started = Date.now();
      try {
        const meta = await gw.launcher.prepare(
          { spec, protocol: 'stdio' },
          { query: [], headers: [], caller: LOCAL_CALLER, progress: (step) => out(describeStep(step)) },
          async (req) => req.meta,
        );
        const checked = meta.quality.checked
          ? ''
          : ` (quality not checked: ${meta.quality.reason ?? 'unknown'})`;
        out(
          `${spec}: ${meta.packageType} ${meta.packageName}@${meta.version} ready in ${Date.now() - started} ms${checked}\n`,
        );
      } catch (err) {
        failed++;
        const { body } = toErrorResponse(err);
        const hint = (body.guidance as { suggestion?: string }).suggestion;
        out(`${spec}: failed: ${body.code}: ${body.message}${hint ? ` ${hint}.` : ''}\n`);
      }
    }
  } finally {
    await gw.shutdown();
    await closeLogFiles(gw.logger);
  }
  if (failed > 0) throw new CliError(`${failed} of ${specs.length} packages could not be installed.`);
  out(`Installed into ${config.store.dir}.\n`);
}
