/**
 * @module The toolset's tool filter at a server's port (its `tools` globs): tools/list shows only the
 * tools it serves, and a call of any other is refused as an unknown tool, before the server hears it.
 * Joined with the principal's tool permissions, so both hold.
 */
import { type ToolsetServer, toolMatcher } from '../policy/toolset-definition.js';
import { JsonRpcCode } from '../protocol/rpc-errors.js';
import type { PortGuard } from '../relay/relay-port.js';

/** The guard of a server's `tools` globs; undefined when it serves every tool. */
export function toolFilter(server: Pick<ToolsetServer, 'alias' | 'tools'>): PortGuard | undefined {
  if (!server.tools) return undefined;
  const serves = toolMatcher(server);
  return {
    refuse(method, params) {
      if (method !== 'tools/call') return undefined;
      const name = String(params?.name ?? '');
      if (serves(name)) return undefined;
      return {
        code: JsonRpcCode.InvalidParams,
        message: `Unknown tool: '${server.alias}__${name.slice(0, 200)}' is not in this toolset`,
      };
    },
    shape(method, result) {
      if (method !== 'tools/list') return result;
      const tools = (result as { tools?: unknown } | undefined)?.tools;
      if (!Array.isArray(tools)) return result;
      return {
        ...(result as object),
        tools: tools.filter((t) => serves(String((t as { name?: unknown })?.name ?? ''))),
      };
    },
  };
}

/** Both guards: a request either refuses is refused; a result is shaped by each. */
export function bothGuards(a: PortGuard | undefined, b: PortGuard | undefined): PortGuard | undefined {
  if (!a || !b) return a ?? b;
  return {
    refuse: (method, params) => a.refuse(method, params) ?? b.refuse(method, params),
    shape: (method, result) => b.shape(method, a.shape(method, result)),
  };
}
