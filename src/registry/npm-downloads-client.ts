/**
 * @module Client of the npm downloads API (https://github.com/npm/registry/blob/main/docs/download-counts.md):
 * `GET {base}/downloads/point/last-month/{package}` answers `{downloads, start, end, package}`.
 */
import { type FetchFn, fetchWithTimeout } from './http-fetch.js';

/** Monthly downloads, or why they could not be read. */
export type DownloadCount = { ok: true; downloads: number } | { ok: false; reason: string };

export class NpmDownloadsClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly fetchFn: FetchFn = fetch,
  ) {}

  /** Last month's downloads of `name`. A package the API does not know has 0 downloads. Never throws. */
  async lastMonth(name: string): Promise<DownloadCount> {
    const url = `${this.baseUrl}/downloads/point/last-month/${name.split('/').map(encodeURIComponent).join('/')}`;
    try {
      const res = await fetchWithTimeout(this.fetchFn, url, {
        timeoutMs: this.timeoutMs,
        registry: 'npm downloads',
      });
      if (res.status === 404) {
        await res.body?.cancel();
        return { ok: true, downloads: 0 };
      }
      if (!res.ok) {
        await res.body?.cancel();
        return { ok: false, reason: `downloads API answered HTTP ${res.status}` };
      }
      const body = (await res.json()) as { downloads?: unknown };
      if (typeof body.downloads !== 'number')
        return { ok: false, reason: 'downloads API answered without a downloads count' };
      return { ok: true, downloads: body.downloads };
    } catch (err) {
      return {
        ok: false,
        reason: `downloads API unreachable (${err instanceof Error ? err.message : String(err)})`,
      };
    }
  }
}
