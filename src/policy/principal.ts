/** @module Who is calling: the principal an API key (or the absence of one) stands for. */

/** user: launches and uses servers, sees its own; admin: also sees and stops every process and reads logs. */
export type Role = 'user' | 'admin';

export interface Principal {
  /**
   * Stable owner id: the key's id, `oauth:<subject>` (an access token; `oauth:<issuer host>:<subject>` with
   * several issuers), `local` (loopback without keys) or `anonymous:<address>` (open registry).
   */
  id: string;
  role: Role;
  /** True when no key was presented (open registry). */
  anonymous: boolean;
  /** The scopes of the OAuth access token it presented (absent for API keys). */
  scopes?: readonly string[];
}

/** The principal of a loopback gateway without keys: the one local operator. */
export const LOCAL_OPERATOR: Principal = Object.freeze({ id: 'local', role: 'admin', anonymous: false });

/** An anonymous caller of an open registry, told apart by client address so callers never share sessions. */
export function anonymousPrincipal(address: string): Principal {
  return { id: `anonymous:${address}`, role: 'user', anonymous: true };
}

/** True when `principal` may see or act on something owned by `owner`. */
export function canAccess(principal: Principal, owner: string): boolean {
  return principal.role === 'admin' || principal.id === owner;
}
