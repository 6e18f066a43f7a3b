/** @module `*` globs (any run of characters; nothing else is special), compiled once to anchored RegExps (pure). */

/** `glob` as an anchored RegExp; `flags` `i` for names that ignore case (hosts, origins, package names). */
export function globToRegExp(glob: string, flags = ''): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, flags);
}
