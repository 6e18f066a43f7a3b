/**
 * @module `mcp-registry-server oauth-user <name> [user|admin]`: the OAUTH_USERS entry of a person who may
 * sign in to the built-in authorization server. The password is read from stdin when one is piped in
 * (`echo "$PW" | … oauth-user carol`), else a random one is made and printed once. Only its scrypt hash
 * goes into the entry.
 */
import { randomBytes } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { UserEntryError, userEntry } from '../policy/oauth/server/accounts.js';
import { CliError } from './cli-error.js';

/** The shortest password taken from stdin. */
const MIN_PASSWORD = 12;

export async function oauthUserCommand(
  args: string[],
  out: (text: string) => void,
  stdin: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
): Promise<void> {
  const [name, role = 'user', extra] = args;
  if (!name || (role !== 'user' && role !== 'admin') || extra !== undefined)
    throw new CliError(
      'Usage: mcp-registry-server oauth-user <name> [user|admin]  (password on stdin, or made)',
      2,
    );
  const piped = stdin.isTTY ? '' : (await text(stdin)).replace(/\r?\n$/, '');
  const password = piped || randomBytes(18).toString('base64url');
  if (piped && piped.length < MIN_PASSWORD)
    throw new CliError(`The password must have at least ${MIN_PASSWORD} characters.`, 2);
  try {
    const entry = await userEntry(name, role, password);
    if (!piped) out(`password (give to ${name}, shown once): ${password}\n`);
    out(`entry (OAUTH_USERS): ${entry}\n`);
  } catch (err) {
    if (err instanceof UserEntryError) throw new CliError(err.message, 2);
    throw err;
  }
}
