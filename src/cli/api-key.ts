/**
 * @module `npm run api-key -- <id> [user|admin]`: prints a new API key (give it to the user once) and
 * the entry to add to API_KEYS or API_KEYS_FILE (only the key's SHA-256 hash is stored).
 */
import { ApiKeyConfigError, generateApiKey } from '../policy/api-keys.js';

const [id, role = 'user'] = process.argv.slice(2);
if (!id || (role !== 'user' && role !== 'admin')) {
  process.stderr.write('usage: npm run api-key -- <id> [user|admin]\n');
  process.exit(2);
}
try {
  const { key, entry } = generateApiKey(id, role);
  process.stdout.write(
    `key (give to the user, shown once): ${key}\nentry (API_KEYS / API_KEYS_FILE): ${entry}\n`,
  );
} catch (err) {
  process.stderr.write(`${err instanceof ApiKeyConfigError ? err.message : String(err)}\n`);
  process.exit(2);
}
