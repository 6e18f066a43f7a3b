/**
 * @module PyPI client. With a JSON API (pypi.org's `/pypi/{name}/json`) it reads everything there;
 * with only a simple index (PEP 503/691, e.g. a static directory served over HTTP) it reads the
 * project page and, per version, the PEP 658 core metadata and the file's Last-Modified header.
 */
import { explain as pep440Explain, valid as pep440Valid, rcompare } from '@renovatebot/pep440';
import { type FetchFn, fetchDocument, fetchWithTimeout, readJson } from './http-fetch.js';
import {
  type DistFile,
  groupByVersion,
  normalizePypiName,
  parseCoreMetadata,
  parseSimpleHtml,
  parseSimpleJson,
} from './pypi-simple-index.js';
import type { PackageMetadata, RegistryClient, VersionDetails } from './types.js';

const SIMPLE_ACCEPT =
  'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';

interface JsonApiDoc {
  info?: { name?: string; summary?: string; description?: string };
  releases?: Record<
    string,
    Array<{ filename?: string; url?: string; yanked?: boolean; upload_time_iso_8601?: string }>
  >;
}

/** The newest non-prerelease, non-yanked version (or the newest of any kind when there is none). */
export function latestPypiVersion(versions: string[], yanked: string[]): string | undefined {
  const usable = versions.filter((v) => pep440Valid(v) && !yanked.includes(v)).sort(rcompare);
  return usable.find((v) => !pep440Explain(v)?.is_prerelease) ?? usable[0];
}

export class PypiRegistryClient implements RegistryClient {
  readonly kind = 'pypi' as const;

  constructor(
    readonly baseUrl: string,
    private readonly jsonApiUrl: string | undefined,
    private readonly timeoutMs: number,
    private readonly fetchFn: FetchFn = fetch,
  ) {}

  fetchMetadata(name: string): Promise<PackageMetadata | null> {
    return this.jsonApiUrl ? this.fromJsonApi(name, this.jsonApiUrl) : this.fromSimpleIndex(name);
  }

  private get(url: string, accept?: string): Promise<Response | null> {
    return fetchDocument(this.fetchFn, url, {
      accept,
      timeoutMs: this.timeoutMs,
      registry: 'PyPI',
      baseUrl: this.baseUrl,
    });
  }

  private async fromJsonApi(name: string, api: string): Promise<PackageMetadata | null> {
    const res = await this.get(`${api}/${encodeURIComponent(normalizePypiName(name))}/json`);
    if (!res) return null;
    const doc = (await readJson(res, 'PyPI')) as JsonApiDoc;
    const releases = doc.releases ?? {};
    const versions = Object.keys(releases).filter((v) => (releases[v]?.length ?? 0) > 0);
    const yanked = versions.filter((v) => releases[v]?.every((f) => f.yanked));
    const releaseTimes: Record<string, string> = {};
    for (const v of versions) {
      const times = (releases[v] ?? [])
        .map((f) => f.upload_time_iso_8601)
        .filter((t): t is string => !!t)
        .sort();
      if (times[0]) releaseTimes[v] = times[0];
    }
    // '' is a known absence (the index says there is none); undefined would mean "unknown".
    const description = doc.info?.summary || doc.info?.description || '';
    return this.build(doc.info?.name ?? name, versions, yanked, releaseTimes, description);
  }

  /** The files the project page lists (null: no such project here). */
  private async projectFiles(name: string): Promise<DistFile[] | null> {
    const pageUrl = `${this.baseUrl}/${normalizePypiName(name)}/`;
    const res = await this.get(pageUrl, SIMPLE_ACCEPT);
    if (!res) return null;
    const type = res.headers.get('content-type') ?? '';
    return type.includes('json')
      ? parseSimpleJson(await readJson(res, 'PyPI'), res.url || pageUrl)
      : parseSimpleHtml(await res.text(), res.url || pageUrl);
  }

  /** One file of the project page, as the simple index lists it (its hash, its PEP 740 provenance). */
  async distFile(name: string, filename: string): Promise<DistFile | undefined> {
    return (await this.projectFiles(name))?.find((f) => f.filename === filename);
  }

  private async fromSimpleIndex(name: string): Promise<PackageMetadata | null> {
    const files = await this.projectFiles(name);
    if (!files) return null;
    const byVersion = groupByVersion(files, name);
    if (byVersion.size === 0) return null;
    const versions = [...byVersion.keys()];
    const yanked = versions.filter((v) => byVersion.get(v)?.every((f) => f.yanked));
    const releaseTimes: Record<string, string> = {};
    const fileUrls: Record<string, { url: string; hasMetadata: boolean }> = {};
    for (const [v, list] of byVersion) {
      const times = list
        .map((f) => f.uploadTime)
        .filter((t): t is string => !!t)
        .sort();
      if (times[0]) releaseTimes[v] = times[0];
      const pick =
        list.find((f) => f.filename.endsWith('.whl') && f.hasMetadata) ??
        list.find((f) => f.filename.endsWith('.whl')) ??
        list[0];
      if (pick) fileUrls[v] = { url: pick.url, hasMetadata: pick.hasMetadata };
    }
    const meta = this.build(name, versions, yanked, releaseTimes, undefined);
    return { ...meta, fileUrls };
  }

  private build(
    name: string,
    versions: string[],
    yanked: string[],
    releaseTimes: Record<string, string>,
    description?: string,
  ): PackageMetadata {
    const latest = latestPypiVersion(versions, yanked);
    return {
      registry: 'pypi',
      name,
      versions,
      distTags: latest ? { latest } : {},
      yanked,
      releaseTimes,
      ...(description !== undefined ? { description } : {}),
    };
  }

  /** Description and release time of one version; from the JSON API, or core metadata + Last-Modified. */
  async fetchVersionDetails(meta: PackageMetadata, version: string): Promise<VersionDetails> {
    const details: VersionDetails = {};
    if (meta.description !== undefined) details.description = meta.description;
    if (meta.releaseTimes[version]) details.releaseTime = meta.releaseTimes[version];
    const file = meta.fileUrls?.[version];
    if (!file) return details;
    try {
      if (details.description === undefined && file.hasMetadata) {
        const res = await this.get(`${file.url}.metadata`);
        // Read metadata without a summary is a known absence; no metadata leaves it unknown.
        if (res) {
          const parsed = parseCoreMetadata(await res.text());
          details.description = parsed.summary || parsed.description || '';
        }
      }
      if (!details.releaseTime) {
        const res = await fetchWithTimeout(this.fetchFn, file.url, {
          method: 'HEAD',
          timeoutMs: this.timeoutMs,
          registry: 'PyPI',
        });
        const lastModified = res.headers.get('last-modified');
        if (res.ok && lastModified && !Number.isNaN(Date.parse(lastModified)))
          details.releaseTime = new Date(lastModified).toISOString();
      }
    } catch {
      // Best effort: a missing detail is reported by the quality check as unknown.
    }
    return details;
  }

  /** PyPI has no search API; no suggestions. */
  async suggest(): Promise<string[]> {
    return [];
  }
}
