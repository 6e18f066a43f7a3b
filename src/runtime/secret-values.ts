/**
 * @module Which configuration values are secret (pure). Masking every value garbles servers' own messages
 * (`?environment=sandbox` turned "Accepted environments are: sandbox, production" into "***, production"),
 * so only what is secret is masked: values of variables whose names say so, values that look like keys
 * (long and high-entropy), and URLs that carry credentials. Short plain words stay readable.
 */

/** Name words that mark a secret (`FIRECRAWL_API_KEY`, `TWILIO_ACCOUNT_SID`, `SESSION_COOKIE`, …). */
const SECRET_WORDS = new Set([
  'KEY',
  'KEYS',
  'TOKEN',
  'TOKENS',
  'SECRET',
  'SECRETS',
  'PASSWORD',
  'PASSWD',
  'PASS',
  'PASSPHRASE',
  'PWD',
  'PIN',
  'OTP',
  'AUTH',
  'AUTHORIZATION',
  'CREDENTIAL',
  'CREDENTIALS',
  'CREDS',
  'SID',
  'COOKIE',
  'COOKIES',
  'SESSION',
  'JWT',
  'BEARER',
  'PAT',
  'DSN',
  'SIGNATURE',
  'SALT',
  'PRIVATE',
  'CERT',
]);
/** Words that end like a secret word glued to another (`APIKEY`, `ACCESSTOKEN`, `CLIENTSECRET`). */
const SECRET_SUFFIX = /(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$/;

/** True when an environment variable name says its value is secret. */
export function isSecretName(envName: string): boolean {
  return envName
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .some((w) => SECRET_WORDS.has(w) || SECRET_SUFFIX.test(w));
}

/** Shannon entropy of `s`, bits per character. */
function entropyPerChar(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Shortest value the entropy rule considers; shorter ones are words, regions, flags. */
const MIN_KEY_LENGTH = 16;

/**
 * True when a value looks like a credential whatever its name: a URL with user info or a secret query
 * parameter (`postgres://u:pw@host`; a plain `http://127.0.0.1:8080` is not), or a long token without spaces mixing letters and digits with high entropy
 * (`fc-9f8e7d6c5b4a3928`, `sk_live_…`, JWTs). Plain words, host names and regions do not.
 */
export function looksSecret(value: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return urlCarriesSecret(value);
  if (value.length < MIN_KEY_LENGTH || /\s/.test(value)) return false;
  if (/^\.{0,2}\//.test(value)) return false; // a file path
  if (!/[A-Za-z]/.test(value) || !/\d/.test(value)) return false;
  return entropyPerChar(value) >= 3.2;
}

/** A URL is secret when it carries credentials: user info, or a query parameter that is secret. */
function urlCarriesSecret(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return looksSecret(value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, ''));
  }
  if (url.username || url.password) return true;
  return [...url.searchParams].some(([k, v]) => isSecretName(k) || looksSecret(v));
}

/** True when the value of variable `envName` must be masked. */
export function isSecretValue(envName: string, value: string): boolean {
  return isSecretName(envName) || looksSecret(value);
}

/** The environment as answers show it: secret values masked, the others as they are. */
export function maskEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, isSecretValue(k, v) ? '***' : v]));
}

/** The secret values of an environment (for the redactor). */
export function secretEnvValues(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env)
    .filter(([k, v]) => isSecretValue(k, v))
    .map(([, v]) => v);
}
