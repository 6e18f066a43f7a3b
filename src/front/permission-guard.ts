/**
 * @module Tool permissions at the ports: what a principal's client may see and do of a child. Lists
 * (`tools/list`, `prompts/list`, `resources/list`, `resources/templates/list`) come with what it may
 * not use left out, on every list the child sends (so after `list_changed` too); a call, prompt or read
 * of what it may not use gets a JSON-RPC error with `data.code` TOOL_NOT_ALLOWED and never reaches the
 * child. Per port, so it holds on children several sessions share; it follows changes of the
 * permissions (PUT /permissions) at the next request.
 */
import { rpcCodeOf, toErrorResponse } from '../errors/error-response.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Principal } from '../policy/principal.js';
import type { Allowance, ToolPermissions } from '../policy/tool-permissions.js';
import type { PortGuard, RpcError } from '../relay/relay-port.js';
import type { PackageRef } from '../spec/package-spec.js';

type Kind = 'tool' | 'prompt' | 'resource';

/** Which requests name what, and how. */
const NAMED: Record<string, { kind: Kind; key: 'name' | 'uri' }> = {
  'tools/call': { kind: 'tool', key: 'name' },
  'prompts/get': { kind: 'prompt', key: 'name' },
  'resources/read': { kind: 'resource', key: 'uri' },
  'resources/subscribe': { kind: 'resource', key: 'uri' },
};

/** Which lists hold what, under which field, named by which key. */
const LISTS: Record<string, { field: string; kind: Kind; key: string }> = {
  'tools/list': { field: 'tools', kind: 'tool', key: 'name' },
  'prompts/list': { field: 'prompts', kind: 'prompt', key: 'name' },
  'resources/list': { field: 'resources', kind: 'resource', key: 'uri' },
  'resources/templates/list': { field: 'resourceTemplates', kind: 'resource', key: 'uriTemplate' },
};

const allows = (a: Allowance, kind: Kind, name: string) =>
  kind === 'tool' ? a.tool(name) : kind === 'prompt' ? a.prompt(name) : a.resource(name);

function notAllowed(kind: Kind, name: string): RpcError {
  const err = new GatewayError('TOOL_NOT_ALLOWED', `Not allowed: the ${kind} '${name.slice(0, 200)}'.`, {
    kind,
    name: name.slice(0, 200),
  });
  const { body } = toErrorResponse(err);
  return {
    code: rpcCodeOf(err.code),
    message: err.message,
    data: { code: err.code, guidance: body.guidance },
  };
}

/** Guards already made, by principal and package (a stateless request opens a port per request). */
const GUARDS_KEPT = 10_000;

/** A guard, and the allowance it works from (worked out again when the rules change). */
interface MadeGuard {
  guard: PortGuard;
  allowance: () => Allowance | null | undefined;
}

export class PermissionGuards {
  private readonly made = new Map<string, MadeGuard>();

  constructor(private readonly permissions: ToolPermissions) {}

  /**
   * The guard of `principal`'s ports on `pkg`'s child; undefined while no rule exists at all.
   * @throws GatewayError POLICY_DENIED when no rule that names the principal grants the package
   */
  for(principal: Principal, pkg: PackageRef | undefined): PortGuard | undefined {
    if (!this.permissions.active || !pkg) return undefined;
    const key = `${principal.id}\n${principal.role}\n${principal.scopes?.join(' ') ?? ''}\n${pkg.registry}:${pkg.name}@${pkg.version}`;
    let made = this.made.get(key);
    if (!made) {
      made = this.make(principal, pkg);
      if (this.made.size >= GUARDS_KEPT) this.made.delete(this.made.keys().next().value as string);
      this.made.set(key, made);
    }
    // Worked out once per change of the rules, not per request.
    if (made.allowance() === null) this.permissions.checkPackage(principal, pkg);
    return made.guard;
  }

  private make(principal: Principal, pkg: PackageRef): MadeGuard {
    const permissions = this.permissions;
    let version = -1;
    let allowance: Allowance | null | undefined;
    const current = () => {
      if (version !== permissions.version) {
        allowance = permissions.allowanceFor(principal, pkg);
        version = permissions.version;
      }
      return allowance;
    };
    const guard: PortGuard = {
      refuse(method, params) {
        const named = NAMED[method];
        if (!named) return undefined;
        const a = current();
        if (a === undefined) return undefined;
        const name = String(params?.[named.key] ?? '');
        if (a === null) return notAllowed(named.kind, name);
        return allows(a, named.kind, name) ? undefined : notAllowed(named.kind, name);
      },
      shape(method, result) {
        const list = LISTS[method];
        if (!list) return result;
        const a = current();
        if (a === undefined) return result;
        const items = (result as Record<string, unknown> | undefined)?.[list.field];
        if (!Array.isArray(items)) return result;
        const kept = items.filter(
          (item) =>
            a !== null && allows(a, list.kind, String((item as Record<string, unknown>)?.[list.key] ?? '')),
        );
        return { ...(result as object), [list.field]: kept };
      },
    };
    return { guard, allowance: current };
  }
}
