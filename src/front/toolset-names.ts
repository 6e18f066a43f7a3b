/**
 * @module How a toolset names what its servers offer (pure): tools, prompts, resources and resource
 * templates are `{alias}__{name}` (URIs `{alias}__{uri}`, so templates still expand and reads, subscriptions
 * and completions find their server), and one identity is made of the servers' identities. Aliases have
 * no `__` of their own (toolset-definition.ts), so the first `__` splits a name.
 */
import { JsonRpcCode } from '../protocol/rpc-errors.js';
import { LEGACY_VERSIONS } from '../protocol/versions.js';
import type { RpcError } from '../relay/relay-port.js';
import type { ServerIdentity } from '../runtime/managed-process.js';

export const SEPARATOR = '__';

export const joinName = (alias: string, name: string): string => `${alias}${SEPARATOR}${name}`;

/** `{alias}__{rest}` split; undefined when the name has no separator. */
export function splitName(name: unknown): { alias: string; rest: string } | undefined {
  if (typeof name !== 'string') return undefined;
  const at = name.indexOf(SEPARATOR);
  if (at <= 0) return undefined;
  return { alias: name.slice(0, at), rest: name.slice(at + SEPARATOR.length) };
}

type Params = Record<string, unknown>;

/** Requests that name one server's tool, prompt or resource: where the name is, and how to rewrite it. */
const ROUTED: Record<string, { read(p: Params): unknown; write(p: Params, v: string): Params }> = {
  'tools/call': { read: (p) => p.name, write: (p, v) => ({ ...p, name: v }) },
  'prompts/get': { read: (p) => p.name, write: (p, v) => ({ ...p, name: v }) },
  'resources/read': { read: (p) => p.uri, write: (p, v) => ({ ...p, uri: v }) },
  'resources/subscribe': { read: (p) => p.uri, write: (p, v) => ({ ...p, uri: v }) },
  'resources/unsubscribe': { read: (p) => p.uri, write: (p, v) => ({ ...p, uri: v }) },
  'completion/complete': {
    read: (p) => {
      const ref = p.ref as Params | undefined;
      return ref?.type === 'ref/prompt' ? ref.name : ref?.uri;
    },
    write: (p, v) => {
      const ref = p.ref as Params;
      return { ...p, ref: { ...ref, [ref.type === 'ref/prompt' ? 'name' : 'uri']: v } };
    },
  },
};

/** What a routed request names (undefined: the method names nothing), with its params for the server. */
export function routeOf(
  method: string,
  params: Params | undefined,
): { named: string; target?: { alias: string; params: Params } } | undefined {
  const rule = ROUTED[method];
  if (!rule) return undefined;
  const p = params ?? {};
  const named = rule.read(p);
  const split = splitName(named);
  return {
    named: typeof named === 'string' ? named : '',
    ...(split ? { target: { alias: split.alias, params: rule.write(p, split.rest) } } : {}),
  };
}

/** The lists a toolset merges: the field holding the items, and the keys prefixed in each item. */
export const LISTS: Record<string, { field: string; keys: string[]; capability: string }> = {
  'tools/list': { field: 'tools', keys: ['name'], capability: 'tools' },
  'prompts/list': { field: 'prompts', keys: ['name'], capability: 'prompts' },
  'resources/list': { field: 'resources', keys: ['uri', 'name'], capability: 'resources' },
  'resources/templates/list': {
    field: 'resourceTemplates',
    keys: ['uriTemplate', 'name'],
    capability: 'resources',
  },
};

/** A server's list items under its alias. */
export function prefixItems(method: string, alias: string, items: unknown[]): unknown[] {
  const keys = LISTS[method]?.keys ?? [];
  return items.map((item) => {
    if (!item || typeof item !== 'object') return item;
    const out: Params = { ...(item as Params) };
    for (const k of keys) if (typeof out[k] === 'string') out[k] = joinName(alias, out[k] as string);
    return out;
  });
}

/** A resources/read result with its contents' URIs under the alias (what the client asked for). */
export function prefixContents(alias: string, result: unknown): unknown {
  const contents = (result as { contents?: unknown } | undefined)?.contents;
  if (!Array.isArray(contents)) return result;
  return { ...(result as Params), contents: prefixItems('resources/list', alias, contents) };
}

/** The oldest of the revisions the servers agreed to (what every one of them speaks). */
function oldestVersion(versions: Array<string | undefined>): string | undefined {
  const known = versions.filter((v): v is string => !!v && LEGACY_VERSIONS.includes(v));
  return known.sort()[0];
}

type Caps = Record<string, { listChanged?: boolean; subscribe?: boolean } | undefined>;

/**
 * One identity for a toolset's servers: what any of them offers (a toolset announces list changes when
 * any server does, or when tool search can add tools), their instructions under their aliases, the
 * oldest revision they agreed to, and the toolset's own name. `unavailable`: servers that could not
 * start, named so the model knows what is missing.
 */
export function mergedIdentity(
  toolset: { name: string; description?: string | undefined; version: string },
  members: Array<{ alias: string; identity: ServerIdentity }>,
  o: { toolSearch: boolean; unavailable: Array<{ alias: string; reason: string }> },
): ServerIdentity {
  const caps: Record<string, Record<string, boolean>> = {};
  const all = members.map((m) => (m.identity.capabilities ?? {}) as Caps);
  for (const kind of ['tools', 'prompts', 'resources'])
    if (all.some((c) => c[kind])) caps[kind] = { listChanged: all.some((c) => !!c[kind]?.listChanged) };
  if (caps.resources && all.some((c) => !!c.resources?.subscribe)) caps.resources.subscribe = true;
  if (o.toolSearch) caps.tools = { listChanged: true };
  for (const kind of ['logging', 'completions']) if (all.some((c) => c[kind])) caps[kind] = {};
  const lines = [
    ...(toolset.description ? [toolset.description] : []),
    `Toolset '${toolset.name}': each server's tools, prompts and resources are named {alias}${SEPARATOR}{name}.`,
    ...(o.toolSearch ? ['Call find_tools to find tools by what they do.'] : []),
    ...members.filter((m) => m.identity.instructions).map((m) => `[${m.alias}] ${m.identity.instructions}`),
    ...o.unavailable.map((u) => `[${u.alias}] unavailable now: ${u.reason}`),
  ];
  const version = oldestVersion(members.map((m) => m.identity.protocolVersion));
  return {
    serverInfo: { name: `toolset:${toolset.name}`, version: toolset.version },
    ...(version ? { protocolVersion: version } : {}),
    capabilities: caps,
    instructions: lines.join('\n\n'),
  };
}

/** The JSON-RPC error for a request that names nothing this toolset serves. */
export function notServed(method: string, named: string | undefined): RpcError {
  const what = named === undefined ? '' : ` '${named.slice(0, 200)}'`;
  if (method.startsWith('resources/'))
    return {
      code: JsonRpcCode.ResourceNotFound,
      message: `Resource not found:${what}`,
      data: { uri: named },
    };
  if (named !== undefined) {
    const kind = method === 'tools/call' ? 'tool' : method === 'prompts/get' ? 'prompt' : 'reference';
    return {
      code: JsonRpcCode.InvalidParams,
      message: `Unknown ${kind}:${what} (names are {alias}__{name})`,
    };
  }
  return {
    code: JsonRpcCode.MethodNotFound,
    message: `Method not found: ${method.slice(0, 100)} (a toolset serves tools, prompts, resources, completions and logging)`,
  };
}

/** A server's result as the client sees it: read contents under the alias, a requestState naming it. */
export function shapeResult(alias: string, method: string, result: unknown): unknown {
  if (method === 'resources/read') return prefixContents(alias, result);
  const state = (result as { requestState?: unknown } | undefined)?.requestState;
  if (typeof state === 'string') return { ...(result as Params), requestState: `${state}.${alias}` };
  return result;
}
