/**
 * @module `file://` URLs for registry reads, as pip accepts them for indexes (`file:///opt/pypi/simple`):
 * a directory answers its `index.html`, a file answers itself with `Last-Modified` from its mtime, and a
 * missing path answers 404, so a local index reads exactly like a static one served over HTTP.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FetchFn } from './http-fetch.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.json': 'application/json',
  '.metadata': 'text/plain',
};

/** `fetchFn` that also reads `file://` URLs from disk. */
export function withFileUrls(fetchFn: FetchFn = fetch): FetchFn {
  return async (url, init) => {
    if (!url.startsWith('file:')) return fetchFn(url, init);
    try {
      let file = fileURLToPath(url);
      let info = await stat(file);
      if (info.isDirectory()) {
        file = path.join(file, 'index.html');
        info = await stat(file);
      }
      const headers = {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'last-modified': info.mtime.toUTCString(),
      };
      const body = init?.method === 'HEAD' ? null : await readFile(file);
      return new Response(body, { status: 200, headers });
    } catch {
      return new Response(null, { status: 404 });
    }
  };
}
