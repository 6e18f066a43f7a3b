/**
 * @module The shape check of every message the gateway relays, the same rules as the SDK's
 * JSONRPCMessageSchema (JSON-RPC 2.0 §4–5 as MCP narrows it: ids are strings or integers, methods
 * strings, params and results objects, errors an integer code and a message; no other members beside
 * those, though the error object itself may carry more). The
 * SDK's guards check it with zod, which cost a tenth of the gateway's CPU per call on the hot path; a
 * unit test holds this guard to the SDK's answers on generated messages, so the SDK stays the source of
 * the rules. A message that passes is relayed as it is.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';

const isId = (v: unknown): boolean => typeof v === 'string' || Number.isSafeInteger(v);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Only `allowed` members (JSON-RPC objects of MCP are strict). */
function onlyMembers(v: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const k in v) if (!allowed.has(k)) return false;
  return true;
}

const REQUEST = new Set(['jsonrpc', 'id', 'method', 'params']);
const NOTIFICATION = new Set(['jsonrpc', 'method', 'params']);
const RESULT = new Set(['jsonrpc', 'id', 'result']);
const ERROR = new Set(['jsonrpc', 'id', 'error']);

/** Params: absent, or an object whose `_meta` (if any) is an object with a string or integer progressToken. */
function paramsOk(params: unknown): boolean {
  if (params === undefined) return true;
  if (!isObject(params)) return false;
  const meta = params._meta;
  if (meta === undefined) return true;
  if (!isObject(meta)) return false;
  const token = meta.progressToken;
  return token === undefined || isId(token);
}

/** True for a JSON-RPC 2.0 request, notification, result or error as MCP allows them. */
export function isJsonRpcMessage(v: unknown): v is JSONRPCMessage {
  if (!isObject(v) || v.jsonrpc !== '2.0') return false;
  if ('method' in v) {
    if (typeof v.method !== 'string' || !paramsOk(v.params)) return false;
    return 'id' in v ? isId(v.id) && onlyMembers(v, REQUEST) : onlyMembers(v, NOTIFICATION);
  }
  if ('result' in v) return isId(v.id) && isObject(v.result) && onlyMembers(v, RESULT);
  if (!('error' in v) || !onlyMembers(v, ERROR)) return false;
  const e = v.error;
  return (
    (v.id === undefined || isId(v.id)) &&
    isObject(e) &&
    Number.isSafeInteger(e.code) &&
    typeof e.message === 'string'
  );
}
