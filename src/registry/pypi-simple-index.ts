/**
 * @module Parsing of PyPI simple-index project pages (pure): PEP 503 HTML and PEP 691 JSON, with
 * PEP 592 yanking, PEP 658/714 core metadata, PEP 700 upload times and PEP 740 provenance links;
 * distribution filenames to versions.
 */

/** One distribution file listed on a project page. */
export interface DistFile {
  filename: string;
  url: string;
  yanked: boolean;
  hasMetadata: boolean;
  uploadTime?: string;
  /** The file's sha256 (hex) as the index lists it. */
  sha256?: string;
  /** PEP 740: where the index serves the file's provenance; null: the index says there is none. */
  provenance?: string | null;
}

/** PEP 503 name normalisation: runs of `-_.` become `-`, lower case. */
export function normalizePypiName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'" };
function unescapeHtml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39|apos);/g, (_, e: string) => ENTITIES[e] ?? '');
}

function attr(attrs: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(attrs);
  if (!m) return /(?:^|\s)data-yanked(?:\s|$)/i.test(attrs) && name === 'data-yanked' ? '' : undefined;
  return unescapeHtml(m[1] ?? m[2] ?? m[3] ?? '');
}

/** Parses a PEP 503 HTML project page; relative links are resolved against `pageUrl`. */
export function parseSimpleHtml(html: string, pageUrl: string): DistFile[] {
  const files: DistFile[] = [];
  for (const m of html.matchAll(/<a\s([^>]*)>([^<]*)<\/a>/gi)) {
    const attrs = m[1] ?? '';
    const href = attr(attrs, 'href');
    if (!href) continue;
    const url = new URL(href, pageUrl);
    const sha256 = /^#sha256=([0-9a-f]{64})$/i.exec(url.hash)?.[1];
    url.hash = '';
    const metadata = attr(attrs, 'data-core-metadata') ?? attr(attrs, 'data-dist-info-metadata');
    const provenance = attr(attrs, 'data-provenance');
    files.push({
      filename: unescapeHtml((m[2] ?? '').trim()) || decodeURIComponent(url.pathname.split('/').pop() ?? ''),
      url: url.toString(),
      yanked: attr(attrs, 'data-yanked') !== undefined,
      hasMetadata: metadata !== undefined && metadata !== 'false',
      ...(sha256 ? { sha256: sha256.toLowerCase() } : {}),
      ...(provenance ? { provenance: new URL(provenance, pageUrl).toString() } : {}),
    });
  }
  return files;
}

interface Pep691File {
  filename?: string;
  url?: string;
  yanked?: boolean | string;
  'core-metadata'?: unknown;
  'dist-info-metadata'?: unknown;
  'upload-time'?: string;
  hashes?: { sha256?: unknown };
  provenance?: unknown;
}

/** Parses a PEP 691 JSON project page. */
export function parseSimpleJson(doc: unknown, pageUrl: string): DistFile[] {
  const files = (doc as { files?: Pep691File[] } | null)?.files;
  if (!Array.isArray(files)) return [];
  return files
    .filter((f) => typeof f?.filename === 'string' && typeof f.url === 'string')
    .map((f) => {
      const meta = f['core-metadata'] ?? f['dist-info-metadata'];
      return {
        filename: f.filename as string,
        url: new URL(f.url as string, pageUrl).toString().replace(/#.*$/, ''),
        yanked: f.yanked !== undefined && f.yanked !== false,
        hasMetadata: meta !== undefined && meta !== false,
        ...(f['upload-time'] ? { uploadTime: f['upload-time'] } : {}),
        ...(typeof f.hashes?.sha256 === 'string' ? { sha256: f.hashes.sha256.toLowerCase() } : {}),
        ...(typeof f.provenance === 'string'
          ? { provenance: new URL(f.provenance, pageUrl).toString() }
          : {}),
        ...(f.provenance === null ? { provenance: null } : {}),
      };
    });
}

/**
 * The version a distribution filename carries, or undefined when it is not a wheel or sdist of
 * `project`. Wheels: `{name}-{version}(-{build})?-{py}-{abi}-{plat}.whl` (PEP 427); sdists: `{name}-{version}.tar.gz`.
 */
export function versionFromFilename(filename: string, project: string): string | undefined {
  const want = normalizePypiName(project);
  if (filename.endsWith('.whl')) {
    const parts = filename.slice(0, -4).split('-');
    if (parts.length < 5 || normalizePypiName(parts[0] ?? '') !== want) return undefined;
    return parts[1];
  }
  const m = /^(.*)-([^-]+)\.(?:tar\.gz|zip|tar\.bz2|tgz)$/.exec(filename);
  if (!m || normalizePypiName(m[1] ?? '') !== want) return undefined;
  return m[2];
}

/** Groups files by version; a version is yanked when all its files are (PEP 592). */
export function groupByVersion(files: DistFile[], project: string): Map<string, DistFile[]> {
  const out = new Map<string, DistFile[]>();
  for (const f of files) {
    const v = versionFromFilename(f.filename, project);
    if (!v) continue;
    const list = out.get(v) ?? [];
    list.push(f);
    out.set(v, list);
  }
  return out;
}

/** Reads `Summary` and the description body out of core metadata (RFC 822 style, PEP 566). */
export function parseCoreMetadata(text: string): { summary?: string; description?: string; name?: string } {
  const split = text.search(/\r?\n\r?\n/);
  const head = split === -1 ? text : text.slice(0, split);
  const body = split === -1 ? '' : text.slice(split).trim();
  const header = (n: string) => new RegExp(`^${n}:[ \\t]*(.*)$`, 'mi').exec(head)?.[1]?.trim();
  const summary = header('Summary');
  const description = body || header('Description');
  const name = header('Name');
  return {
    ...(summary ? { summary } : {}),
    ...(description ? { description } : {}),
    ...(name ? { name } : {}),
  };
}
