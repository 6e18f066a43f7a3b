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
  /** Variable -> the flag the user typed for it (errors then name the flag). */
  const typed = new Map<string, string>();
  for (const s of SETTINGS) {
    const value = parsed.values[flagOf(s)];
    if (typeof value === 'string') {
      merged[s.env] = value;
      typed.set(s.env, `--${flagOf(s)}`);
    }
  }
  return { values: parsed.values, positionals: parsed.positionals, env: merged, typed };
}

/** A configuration error in the words the user used: `--max-processes (MAX_PROCESSES): …` for a flag. */
function inTheirWords(err: ConfigError, typed: Map<string, string>): CliError {
  const message = err.message.replace(/^(\s*)([A-Z][A-Z0-9_]*):/gm, (whole, indent: string, name: string) =>
    typed.has(name) ? `${indent}${typed.get(name)} (${name}):` : whole,
  );
  return new CliError(message, 2);
}

/** Runs a command line; resolves when a finite command is done (serve runs until a signal). */
export async function runCli(argv: string[], env: Env, out = (t: string) => void process.stdout.write(t)) {
  const { values, positionals, env: merged, typed } = parse(argv, env);
  const version = packageVersion();
  const [command = 'serve', ...rest] = positionals;
  if (values.version) return out(`${version}\n`);
  if (values.help || command === 'help')
    // The values in effect here: the environment, the flags, npm's and pip's own configuration.
    return out(helpText(version, await configFrom(merged, version).catch(() => undefined)));
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
    if (err instanceof ConfigError) throw inTheirWords(err, typed);
    throw err;
  });
  if (command === 'install') return installCommand(rest, config, out);
  return serveGateway(config);
}
