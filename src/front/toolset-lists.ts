/**
 * @module A toolset's lists: every server that offers the kind is asked, page after page (each through
 * its own port, so the principal's tool permissions, the toolset's tool filter and tool pinning shape
 * what it answers), and the items come back under the server's alias in one list, without pages. A
 * server that fails is left out of the list (and logged); only when every one fails is the list an error.
 */
import { JsonRpcCode } from '../protocol/rpc-errors.js';
import type { RpcError } from '../relay/relay-port.js';
import type { ServerIdentity } from '../runtime/managed-process.js';
import { LISTS, prefixItems } from './toolset-names.js';

export type Answer = { result: Record<string, unknown> } | { error: RpcError };

/** A server of the toolset as a list needs it: its alias, what it offers, and how to ask it. */
export interface ListSource {
  alias: string;
  identity: ServerIdentity;
  ask(method: string, params: Record<string, unknown>): Promise<Answer>;
}

/** Pages asked of one server at most (a server that pages forever is cut off there). */
const MAX_PAGES = 50;

async function allPages(source: ListSource, method: string, field: string): Promise<unknown[] | RpcError> {
  const items: unknown[] = [];
  let cursor: unknown;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await source.ask(method, cursor === undefined ? {} : { cursor });
    if ('error' in answer) return answer.error;
    const got = answer.result[field];
    if (Array.isArray(got)) items.push(...got);
    cursor = answer.result.nextCursor;
    if (typeof cursor !== 'string' || cursor === '') break;
  }
  return items;
}

/**
 * The merged list `method` of `sources`; `failed` is told of each server left out. An error only when
 * every server asked failed.
 */
export async function mergedList(
  sources: ListSource[],
  method: string,
  failed: (alias: string, error: RpcError) => void,
): Promise<Answer> {
  const list = LISTS[method];
  if (!list) return { error: { code: JsonRpcCode.MethodNotFound, message: `Method not found: ${method}` } };
  const asked = sources.filter((s) => s.identity.capabilities?.[list.capability]);
  const parts = await Promise.all(asked.map((s) => allPages(s, method, list.field)));
  const items: unknown[] = [];
  let firstError: RpcError | undefined;
  parts.forEach((part, i) => {
    const alias = (asked[i] as ListSource).alias;
    if (Array.isArray(part)) items.push(...prefixItems(method, alias, part));
    else {
      firstError ??= part;
      failed(alias, part);
    }
  });
  if (firstError && items.length === 0 && parts.every((p) => !Array.isArray(p))) return { error: firstError };
  return { result: { [list.field]: items } };
}
