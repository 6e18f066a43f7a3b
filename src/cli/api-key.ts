/**
 * @module `mcp-registry-server api-key <id> [user|admin]`: prints a new API key (give it to the user once)
 * and the entry to add to API_KEYS or API_KEYS_FILE (only the key's SHA-256 hash is stored).
 */
import { ApiKeyConfigError, generateApiKey } from '../policy/api-keys.js';
import { CliError } from './cli-error.js';

export function apiKeyCommand(args: string[], out: (text: string) => void): void {
  const [id, role = 'user', extra] = args;
  if (!id || (role !== 'user' && role !== 'admin') || extra !== undefined)
    throw new CliError('Usage: mcp-registry-server api-key <id> [user|admin]', 2);
  try {
    const { key, entry } = generateApiKey(id, role);
    out(`key (give to the user, shown once): ${key}\nentry (API_KEYS / API_KEYS_FILE): ${entry}\n`);
  } catch (err) {
    if (err instanceof ApiKeyConfigError) throw new CliError(err.message, 2);
    throw err;
  }
}
