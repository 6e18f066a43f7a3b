/**
 * @module Tool pinning at the relay: every list a child sends is judged against the pins of its package,
 * version and configuration before any client sees it (a changed definition is left out while it is
 * held), and a call to a tool (or a prompt) whose definition is held gets a JSON-RPC error with
 * `data.code` TOOL_PENDING_APPROVAL without reaching the child. Relay-wide: it holds for every port of a
 * shared child, in every era, and after `list_changed` (the relay lists again before passing it on).
 */
import { rpcCodeOf, toErrorResponse } from '../errors/error-response.js';
import { GatewayError } from '../errors/gateway-error.js';
import { DEFINITION_LISTS, type DefinitionKind, definitionHash } from '../policy/tool-definitions.js';
import type { PortGuard, RpcError } from '../relay/relay-port.js';
import type { ProcessMeta } from '../runtime/process-meta.js';
import type { Held, PinRef, ToolPins } from '../store/tool-pins.js';

/** Which requests use which kind of definition, named by which key. */
const NAMED: Record<string, { kind: DefinitionKind; key: string }> = {
  'tools/call': { kind: 'tool', key: 'name' },
  'prompts/get': { kind: 'prompt', key: 'name' },
};

function pending(held: Held, kind: DefinitionKind, name: string): RpcError {
  const err = new GatewayError(
    'TOOL_PENDING_APPROVAL',
    `The ${kind} '${name.slice(0, 200)}' changed since it was approved, and is held for an administrator.`,
    { kind, name: name.slice(0, 200), id: held.id, reason: held.reason, state: held.state },
  );
  const { body } = toErrorResponse(err);
  return {
    code: rpcCodeOf(err.code),
    message: err.message,
    data: { code: err.code, guidance: body.guidance },
  };
}

/** What a child's pins belong to: its package, version and settings (see ProcessMeta.settingsKey). */
export function pinRefOf(meta: ProcessMeta): PinRef {
  return {
    registry: meta.packageType,
    name: meta.packageName,
    version: meta.version,
    config: meta.settingsKey,
  };
}

/** The relay-wide guard of one child: `ref` names its package, version and configuration. */
export function pinGuard(pins: ToolPins, ref: PinRef): PortGuard {
  /**
   * Each definition as this child last listed it: its text as sent (a list unchanged since costs a
   * string comparison per item, not a hash), its hash, and the verdict while the pins stay as they were.
   */
  const seen = new Map<string, { raw: string; hash: string; ok: boolean; generation: number }>();
  /** Each kind of list as last sent whole and allowed whole. */
  const lists = new Map<string, { raw: string; generation: number }>();
  const verdict = (kind: DefinitionKind, name: string, item: unknown, generation: number): boolean => {
    const key = `${kind}:${name}`;
    const raw = JSON.stringify(item);
    const last = seen.get(key);
    if (last && last.raw === raw && last.generation === generation) return last.ok;
    const ok = pins.judge(ref, kind, name, item);
    seen.set(key, { raw, hash: definitionHash(kind, item), ok, generation: pins.generation(ref) });
    return ok;
  };
  return {
    refuse(method, params) {
      const named = NAMED[method];
      if (!named) return undefined;
      const name = String(params?.[named.key] ?? '');
      const held = pins.heldOf(ref, named.kind, name, seen.get(`${named.kind}:${name}`)?.hash);
      return held ? pending(held, named.kind, name) : undefined;
    },
    shape(method, result) {
      const list = DEFINITION_LISTS[method];
      if (!list) return result;
      const items = (result as Record<string, unknown> | undefined)?.[list.field];
      if (!Array.isArray(items)) return result;
      const generation = pins.generation(ref);
      // The common case: the same list as last time, all of it allowed, nothing changed since.
      const whole = JSON.stringify(items);
      const last = lists.get(method);
      if (last?.raw === whole && last.generation === generation) return result;
      const kept = items.filter((item) =>
        verdict(list.kind, String((item as Record<string, unknown>)?.[list.key] ?? ''), item, generation),
      );
      if (kept.length === items.length) lists.set(method, { raw: whole, generation: pins.generation(ref) });
      else lists.delete(method);
      return kept.length === items.length ? result : { ...(result as object), [list.field]: kept };
    },
  };
}
