/**
 * @module Origin and host patterns with `*` wildcards (ALLOWED_ORIGINS, ALLOWED_HOSTS, REGISTRY_API_CORS),
 * compiled once (pure). What a browser may do with them is `browser-request.ts`.
 */
import { globToRegExp } from './glob.js';

/** Compiles `*` patterns (e.g. `http://localhost:*`) once. */
export function compileOrigins(patterns: readonly string[]): RegExp[] {
  return patterns.map((p) => globToRegExp(p, 'i'));
}
