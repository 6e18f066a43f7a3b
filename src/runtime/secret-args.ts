/**
 * @module Finds secrets passed as command-line options (`--api-key=…`, `--token …`) or as bare values that
 * look like keys, so that answers, listings and logs can mask them (pure).
 */
import { looksSecret } from './secret-values.js';

const SECRET_OPTION =
  /^(--?[A-Za-z0-9_-]*(?:key|token|secret|password|passwd|auth|credential|pat)[A-Za-z0-9_-]*)(?:=(.*))?$/i;

/**
 * The secret values among `args`: values of `--secret-option=value`, words after `--secret-option`, and
 * values (bare or after `=`) that look like keys.
 */
export function secretArgValues(args: readonly string[]): string[] {
  const out: string[] = [];
  args.forEach((arg, i) => {
    const m = SECRET_OPTION.exec(arg);
    const value = /^--?[^=]+=(.*)$/.exec(arg)?.[1];
    if (m?.[2] !== undefined) out.push(m[2]);
    else if (m && i + 1 < args.length && !(args[i + 1] as string).startsWith('-'))
      out.push(args[i + 1] as string);
    else if (looksSecret(value ?? arg)) out.push(value ?? arg);
  });
  return out.filter((v) => v.length > 0);
}

/** `args` with secret option values replaced by `***`. */
export function maskArgs(args: readonly string[]): string[] {
  const secrets = new Set(secretArgValues(args));
  return args.map((arg) => {
    const m = /^(--?[^=]+)=(.*)$/.exec(arg);
    if (m && secrets.has(m[2] as string)) return `${m[1]}=***`;
    return secrets.has(arg) ? '***' : arg;
  });
}

/**
 * An `args` text that could not be split (an unterminated quote), masked for an error answer: it is split
 * loosely on white space, quotes dropped, and the same rules applied, so `--token 'SECRET` comes back
 * as `--token ***`.
 */
export function maskArgsText(input: string): string {
  const words = input.split(/\s+/).filter(Boolean);
  const loose = words.map((w) => w.replace(/['"\\]/g, ''));
  const secrets = new Set(secretArgValues(loose));
  return words
    .map((w, i) => {
      const plain = loose[i] as string;
      const m = /^(--?[^=]+)=(.*)$/.exec(plain);
      if (m && secrets.has(m[2] as string)) return `${m[1]}=***`;
      return secrets.has(plain) ? '***' : w;
    })
    .join(' ');
}
