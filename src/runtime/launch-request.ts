/** @module What the process manager is asked to launch: the plan, the identity and the client profile. */
import { type ClientProfile, DEFAULT_PROFILE, profileKey } from '../protocol/versions.js';
import type { LaunchPlan } from './launch-plan.js';

/** What a launch needs besides the plan: identity and the facts listings show. */
export interface LaunchRequest<M> {
  /** Configuration key: equal keys share one process. */
  key: string;
  /** Used in the process id (a readable slug of the package name). */
  label: string;
  /** Who asks (API key id or anonymous caller): the unit of the fair share at the limit. */
  principal: string;
  /** The principal is an admin: at the limit, a non-admin's process gives way to it even if busy. */
  privileged?: boolean;
  plan: LaunchPlan;
  /** What the child is initialized with (part of `key` when set: children are shared per profile). */
  profile?: ClientProfile;
  /** Descriptive data kept with the process (package, masked env, …). */
  meta: M;
}

/** `req` for clients of `profile`: the child is initialized with it, and shared only under it. */
export function profiled<M>(
  req: LaunchRequest<M>,
  profile: ClientProfile = DEFAULT_PROFILE,
): LaunchRequest<M> {
  return { ...req, key: `${req.key}|${profileKey(profile)}`, profile };
}
