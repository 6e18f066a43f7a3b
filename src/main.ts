#!/usr/bin/env node
import { runCli } from './cli/cli.js';
/** @module The `mcp-registry-server` executable: runs the command line and prints errors as one line. */
import { CliError } from './cli/cli-error.js';
import { ConfigError } from './config/config.js';

runCli(process.argv.slice(2), process.env).catch((err: unknown) => {
  const known = err instanceof CliError || err instanceof ConfigError;
  const text = known ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`mcp-registry-server: ${text}\n`);
  process.exit(err instanceof CliError ? err.exitCode : err instanceof ConfigError ? 2 : 1);
});
