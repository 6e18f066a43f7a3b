/**
 * @module What a server says its tools, prompts and resource templates are, in a form that can be
 * compared: the fields a model reads or a client acts on (tools: name, title, description, input and
 * output schemas, annotations; prompts: name, title, description, arguments; templates: uriTemplate,
 * name, title, description, mimeType), keys sorted, hashed. `_meta` and icons are left out: they change
 * without changing what a model is told. Pure.
 */
import { createHash } from 'node:crypto';

export type DefinitionKind = 'tool' | 'prompt' | 'resourceTemplate';

/** Which list answers carry which kind, under which field, named by which key. */
export const DEFINITION_LISTS: Record<string, { field: string; kind: DefinitionKind; key: string }> = {
  'tools/list': { field: 'tools', kind: 'tool', key: 'name' },
  'prompts/list': { field: 'prompts', kind: 'prompt', key: 'name' },
  'resources/templates/list': { field: 'resourceTemplates', kind: 'resourceTemplate', key: 'uriTemplate' },
};

const FIELDS: Record<DefinitionKind, readonly string[]> = {
  tool: ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'],
  prompt: ['name', 'title', 'description', 'arguments'],
  resourceTemplate: ['uriTemplate', 'name', 'title', 'description', 'mimeType'],
};

/** A value with object keys sorted at every depth (so equal definitions serialize alike). */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** The compared part of a definition. */
export function comparable(kind: DefinitionKind, item: unknown): Record<string, unknown> {
  const src = (item && typeof item === 'object' ? item : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of FIELDS[kind]) if (src[f] !== undefined) out[f] = sorted(src[f]);
  return out;
}

/** The hash of a definition's compared part (base64url SHA-256). */
export function definitionHash(kind: DefinitionKind, item: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(comparable(kind, item)))
    .digest('base64url');
}

/** One difference between two definitions: a field's path, and its values before and after. */
export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

/** What changed from `before` to `after` (compared parts), field by field down to the leaves. */
export function diffDefinitions(before: unknown, after: unknown, at = ''): FieldChange[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const objects = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!objects(before) || !objects(after)) return [{ path: at || '.', before, after }];
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  return [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .sort()
    .flatMap((k) => diffDefinitions(b[k], a[k], at ? `${at}.${k}` : k));
}
