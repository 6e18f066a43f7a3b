/**
 * @module Origin validation for MCP endpoints against DNS rebinding (spec 2025-11-25 basic/transports
 * "Security Warning": servers MUST validate Origin; 403 when it is present and not allowed) (pure).
 */

/** Compiles `*` patterns (e.g. `http://localhost:*`) once. */
export function compileOrigins(patterns: readonly string[]): RegExp[] {
  return patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
          .join('.*')}$`,
        'i',
      ),
  );
}

/** True when a request with `origin` may proceed: no Origin, same origin as `requestUrl`, or an allowed pattern. */
export function originAllowed(
  origin: string | undefined,
  requestUrl: string,
  allowed: readonly RegExp[],
): boolean {
  if (!origin) return true;
  try {
    if (new URL(origin).host === new URL(requestUrl).host) return true;
  } catch {
    return false;
  }
  return allowed.some((re) => re.test(origin));
}
