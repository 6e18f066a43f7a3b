/**
 * @module Finds secrets passed as command-line options (`--api-key=…`, `--token …`) so that answers,
 * listings and logs can mask them (pure).
 */

const SECRET_OPTION =
  /^(--?[A-Za-z0-9_-]*(?:key|token|secret|password|passwd|auth|credential|pat)[A-Za-z0-9_-]*)(?:=(.*))?$/i;

/** The secret values among `args`: values of `--secret-option=value` and words after `--secret-option`. */
export function secretArgValues(args: readonly string[]): string[] {
  const out: string[] = [];
  args.forEach((arg, i) => {
    const m = SECRET_OPTION.exec(arg);
    if (!m) return;
    if (m[2] !== undefined) out.push(m[2]);
    else if (i + 1 < args.length && !(args[i + 1] as string).startsWith('-')) out.push(args[i + 1] as string);
  });
  return out.filter((v) => v.length > 0);
}

/** `args` with secret option values replaced by `***`. */
export function maskArgs(args: readonly string[]): string[] {
  const secrets = new Set(secretArgValues(args));
  return args.map((arg) => {
    const m = SECRET_OPTION.exec(arg);
    if (m && m[2] !== undefined && secrets.has(m[2])) return `${m[1]}=***`;
    return secrets.has(arg) ? '***' : arg;
  });
}
