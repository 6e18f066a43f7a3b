/**
 * @module A toolset as an admin defines it (`PUT /toolsets/{name}`): servers, each a package under an
 * alias with its parameters and, optionally, which of its tools to serve (`*` globs), and who may use it. Validated whole
 * before anything is stored: names and aliases a client can read in `{alias}__{tool}`, package specs
 * by the same rules as /package/ URLs (no URLs, git, paths or tarballs), globs compiled. Pure.
 */
import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.js';
import { parsePackageSpec } from '../spec/package-spec.js';
import { globToRegExp } from './glob.js';

export const TOOLSET_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** An alias joins a tool's name with `__`: it has none of its own. */
const ALIAS = /^[a-z0-9](?:[a-z0-9-]|_(?!_)){0,30}$/;

const ServerSchema = z
  .object({
    alias: z.string().regex(ALIAS, 'lowercase letters, digits, - and single _, at most 31, no "__"'),
    package: z.string().min(1).max(256),
    params: z.record(z.string().max(256), z.string().max(8192)).default({}),
    tools: z.array(z.string().min(1).max(128)).min(1).max(200).optional(),
  })
  .strict();

const BodySchema = z
  .object({
    servers: z.array(ServerSchema).min(1).max(20),
    description: z.string().max(500).optional(),
    principals: z.array(z.string().min(1).max(128)).min(1).max(200).optional(),
  })
  .strict();

export type ToolsetServer = z.infer<typeof ServerSchema>;

export interface Toolset {
  name: string;
  description?: string;
  servers: ToolsetServer[];
  /** Who may use it: principal ids or `*` globs (admins always may); absent: every caller. */
  principals?: string[];
}

/** The definition in `body` for `name`. @throws GatewayError INVALID_TOOLSET naming what is wrong */
export function parseToolset(name: string, body: unknown): Toolset {
  if (!TOOLSET_NAME.test(name))
    throw new GatewayError('INVALID_TOOLSET', `'${name.slice(0, 64)}' is not a toolset name.`, {
      field: 'name',
      rule: 'lowercase letters, digits and -, at most 63',
    });
  const parsed = BodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    throw new GatewayError('INVALID_TOOLSET', `${field}: ${issue?.message ?? 'invalid'}.`, { field });
  }
  const seen = new Set<string>();
  parsed.data.servers.forEach((s, i) => {
    if (seen.has(s.alias))
      throw new GatewayError('INVALID_TOOLSET', `servers.${i}.alias: '${s.alias}' is used twice.`, {
        field: `servers.${i}.alias`,
      });
    seen.add(s.alias);
    try {
      parsePackageSpec(s.package);
    } catch (err) {
      const why = err instanceof GatewayError ? err.message : String(err);
      throw new GatewayError('INVALID_TOOLSET', `servers.${i}.package: ${why}`, {
        field: `servers.${i}.package`,
      });
    }
  });
  return {
    name,
    ...(parsed.data.description ? { description: parsed.data.description } : {}),
    servers: parsed.data.servers,
    ...(parsed.data.principals ? { principals: parsed.data.principals } : {}),
  };
}

/** Whether `principal` may see and use a toolset open to `principals` (admins always may). */
export function toolsetOpensTo(
  principals: readonly string[] | undefined,
  principal: { id: string; role: string },
): boolean {
  if (!principals || principal.role === 'admin') return true;
  return principals.some((glob) => globToRegExp(glob).test(principal.id));
}

/** Which tools a toolset server serves (no `tools`: every one), its globs compiled once. */
export function toolMatcher(server: Pick<ToolsetServer, 'tools'>): (tool: string) => boolean {
  if (!server.tools) return () => true;
  const globs = server.tools.map((glob) => globToRegExp(glob));
  return (tool) => globs.some((re) => re.test(tool));
}

/** A parameter value a PUT sends to keep the stored one: what answers show in its place. */
export const KEEP_STORED = '***';

/**
 * `next` with every `***` parameter value replaced by the value stored under the same alias and name,
 * so an editor that shows masked values can send them back unchanged.
 * @throws GatewayError INVALID_TOOLSET when there is no stored value to keep
 */
export function keepStoredValues(next: Toolset, stored: Toolset | undefined): Toolset {
  return {
    ...next,
    servers: next.servers.map((server, i) => {
      const before = stored?.servers.find((s) => s.alias === server.alias)?.params ?? {};
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(server.params)) {
        if (v !== KEEP_STORED) params[k] = v;
        else if (before[k] !== undefined) params[k] = before[k];
        else
          throw new GatewayError(
            'INVALID_TOOLSET',
            `servers.${i}.params.${k}: '${KEEP_STORED}' keeps a stored value, and none is stored.`,
            { field: `servers.${i}.params.${k}` },
          );
      }
      return { ...server, params };
    }),
  };
}
