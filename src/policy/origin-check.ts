/**
 * @module Origin and host patterns with `*` wildcards (ALLOWED_ORIGINS, ALLOWED_HOSTS, REGISTRY_API_CORS),
 * compiled once (pure). What a browser may do with them is `browser-request.ts`.
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
