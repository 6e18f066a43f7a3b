/** @module A command-line error: printed as one line (no stack trace), with the exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    /** 2: the command line was wrong; 1: the command failed. */
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
