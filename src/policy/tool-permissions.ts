/**
 * @module Per-principal permissions (pure; compiled once per policy): which packages a principal may use,
 * and which of their tools, resources and prompts (`*` globs). A rule names its principals as a key id or
 * OAuth principal id (`alice`, `oauth:<sub>`), `scope:<scope>`, `role:<user|admin>` or `*`. The rules
 * that name a principal are its permissions, joined; a principal no rule names is not restricted (so
 * the policy restricts only whom it names, and a gateway without one behaves as before).
 */
import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.js';
import type { PackageRef } from '../spec/package-spec.js';
import { globToRegExp } from './glob.js';
import { compilePattern, matchesVersion, type PackagePattern } from './package-pattern.js';
import type { Principal } from './principal.js';

const globs = z.array(z.string().min(1).max(200)).max(500);

/** One rule of the policy, as operators write it (file or admin API). */
export const PermissionRuleSchema = z.strictObject({
  principal: z.string().min(1).max(300),
  packages: globs.default(['*']),
  tools: globs.default(['*']),
  resources: globs.default(['*']),
  prompts: globs.default(['*']),
});

/** The whole policy document. */
export const PermissionsSchema = z.strictObject({ rules: z.array(PermissionRuleSchema).max(1000) });
export type PermissionsDoc = z.output<typeof PermissionsSchema>;

/** What one principal may use of one package. */
export interface Allowance {
  tool(name: string): boolean;
  resource(uri: string): boolean;
  prompt(name: string): boolean;
}

interface CompiledRule {
  principal: string;
  packages: PackagePattern[];
  tools: RegExp[];
  resources: RegExp[];
  prompts: RegExp[];
}

const anyOf = (res: readonly RegExp[], v: string) => res.some((re) => re.test(v));

/** Whether `rule` names `p`. */
function names(rule: CompiledRule, p: Principal): boolean {
  const r = rule.principal;
  if (r === '*' || r === p.id || r === `role:${p.role}`) return true;
  return r.startsWith('scope:') && (p.scopes?.includes(r.slice(6)) ?? false);
}

/** The compiled policy. */
export class ToolPermissions {
  private rules: CompiledRule[] = [];
  /** Bumped by each replace: what was worked out for a session is worked out again. */
  version = 0;

  constructor(private doc: PermissionsDoc = { rules: [] }) {
    this.replace(doc);
  }

  /** The policy as operators wrote it (GET /permissions). */
  get document(): PermissionsDoc {
    return this.doc;
  }

  /** Whether any rule exists (none: nothing is restricted, and sessions pay nothing for it). */
  get active(): boolean {
    return this.rules.length > 0;
  }

  /** Replaces the policy. @throws PatternError for a package pattern that does not compile */
  replace(doc: PermissionsDoc): void {
    const compiled = doc.rules.map((r) => ({
      principal: r.principal,
      packages: r.packages.map(compilePattern),
      tools: r.tools.map((g) => globToRegExp(g)),
      resources: r.resources.map((g) => globToRegExp(g)),
      prompts: r.prompts.map((g) => globToRegExp(g)),
    }));
    this.rules = compiled;
    this.doc = doc;
    this.version++;
  }

  /**
   * Refuses a package no rule that names `p` grants (before anything is installed or started).
   * @throws GatewayError POLICY_DENIED
   */
  checkPackage(p: Principal, pkg: PackageRef): void {
    if (this.allowanceFor(p, pkg) !== null) return;
    throw new GatewayError(
      'POLICY_DENIED',
      `Your tool permissions do not include ${pkg.name}@${pkg.version}.`,
      {
        rule: 'permissions',
        suggestion:
          'Use a package your permissions name, or ask the operator (GET /permissions shows the rules)',
      },
    );
  }

  /**
   * What `p` may use of `pkg`: undefined when no rule names `p` (everything), `null` when rules name it
   * but none grants this package.
   */
  allowanceFor(p: Principal, pkg: PackageRef): Allowance | null | undefined {
    const mine = this.rules.filter((r) => names(r, p));
    if (mine.length === 0) return undefined;
    const granting = mine.filter((r) =>
      r.packages.some((pat) => matchesVersion(pat, pkg.registry, pkg.name, pkg.version)),
    );
    if (granting.length === 0) return null;
    const tools = granting.flatMap((r) => r.tools);
    const resources = granting.flatMap((r) => r.resources);
    const prompts = granting.flatMap((r) => r.prompts);
    return {
      tool: (name) => anyOf(tools, name),
      resource: (uri) => anyOf(resources, uri),
      prompt: (name) => anyOf(prompts, name),
    };
  }
}
