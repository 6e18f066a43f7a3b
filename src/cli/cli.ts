/**
 * @module The command line: `serve` (default), `install`, `api-key`, `oauth-user`, `--help`, `--version`. Every setting
 * is also a flag (MAX_PROCESSES is --max-processes) that wins over the environment. Errors are one line
 * naming the flag or setting, with what to do; never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config.js';
import { flagOf, SETTINGS } from '../config/settings.js';
import { apiKeyCommand } from './api-key.js';
import { CliError } from './cli-error.js';
import { helpText } from './help.js';
import { installCommand } from './install.js';
import { oauthUserCommand } from './oauth-user.js';
import { configFrom, serveGateway } from './serve.js';

type Env = Record<string, string | undefined>;

export function packageVersion(): string {
  try {
    const pkg = new URL('../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

const COMMANDS = ['serve', 'install', 'api-key', 'oauth-user', 'help'];

/** Parses the flags; the settings they name are written into a copy of `env`. */
function parse(argv: string[], env: Env) {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
  };
  for (const s of SETTINGS) options[flagOf(s)] = { type: 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const what = (err as Error).message.split('\n')[0]?.replace(/\. To specify a positional.*$/, '');
    throw new CliError(`${what}. Run mcp-registry-server --help for the commands and settings.`, 2);
  }
  const merged: Env = { ...env };
  for (const s of SETTINGS) {
    const value = parsed.values[flagOf(s)];
    if (typeof value === 'string') merged[s.env] = value;
  }
  return { values: parsed.values, positionals: parsed.positionals, env: merged };
}

/** Runs a command line; resolves when a finite command is done (serve runs until a signal). */
export async function runCli(argv: string[], env: Env, out = (t: string) => void process.stdout.write(t)) {
  const { values, positionals, env: merged } = parse(argv, env);
  const version = packageVersion();
  const [command = 'serve', ...rest] = positionals;
  if (values.version) return out(`${version}\n`);
  if (values.help || command === 'help') return out(helpText(version));
  if (!COMMANDS.includes(command))
    throw new CliError(
      `Unknown command '${command}'. Commands: serve, install, api-key, oauth-user; see --help.`,
      2,
    );
  if (command === 'api-key') return apiKeyCommand(rest, out);
  if (command === 'oauth-user') return oauthUserCommand(rest, out);
  if (command === 'serve' && rest.length > 0)
    throw new CliError(`serve takes no arguments (got '${rest[0]}'); settings are flags, see --help.`, 2);
  const config = await configFrom(merged, version).catch((err: unknown) => {
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    throw err;
  });
  if (command === 'install') return installCommand(rest, config, out);
  return serveGateway(config);
}
