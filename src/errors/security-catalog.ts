/** @module The access, policy and abuse rows of the error table (errors/catalog.ts). */
import { JsonRpcCode } from '../protocol/rpc-errors.js';
import type { ErrorDetails, ErrorEntry } from './entry.js';

/** The challenge the thrower worked out (with the resource metadata when OAuth is on), else a plain one. */
const challenge = (d: ErrorDetails) =>
  typeof d.wwwAuthenticate === 'string' ? d.wwwAuthenticate : 'Bearer realm="mcp-registry-server"';

export const SECURITY_ENTRIES = {
  AUTH_REQUIRED: {
    status: 401,
    title: 'Authentication required',
    wwwAuthenticate: challenge,
    guidance: (d) => ({
      suggestion: d.resourceMetadata
        ? 'Sign in with OAuth (an MCP client does it from this answer: the WWW-Authenticate header names the resource metadata), or send an API key as "Authorization: Bearer <key>"'
        : 'Send your API key as "Authorization: Bearer <key>" or "X-API-Key: <key>"',
      resourceMetadata: d.resourceMetadata,
      howToGetOne: 'Ask the operator of this gateway for a key',
    }),
  },
  AUTH_INVALID: {
    status: 401,
    title: 'Invalid API key',
    wwwAuthenticate: challenge,
    guidance: () => ({
      suggestion: 'Check the key for typos or whitespace; ask the operator whether it was revoked',
    }),
  },
  TOKEN_INVALID: {
    status: 401,
    title: 'Invalid access token',
    wwwAuthenticate: challenge,
    guidance: (d) => ({
      reason: d.reason,
      resource: d.resource,
      suggestion:
        'Sign in again: the token must come from a trusted authorization server, be unexpired, and name this endpoint (or the gateway) as its resource (audience)',
      resourceMetadata: d.resourceMetadata,
    }),
  },
  INSUFFICIENT_SCOPE: {
    status: 403,
    title: 'Insufficient scope',
    wwwAuthenticate: challenge,
    guidance: (d) => ({
      requiredScope: d.requiredScope,
      suggestion: `Sign in again asking for the scope '${String(d.requiredScope)}', or ask the operator to grant it`,
    }),
  },
  FORBIDDEN: {
    status: 403,
    title: 'Forbidden',
    guidance: (d) => ({
      requiredRole: d.requiredRole,
      suggestion: 'Use a key with the required role, or ask the operator for one',
    }),
  },
  HOST_NOT_ALLOWED: {
    status: 403,
    title: 'Host not allowed',
    guidance: () => ({
      why: 'Requests for other host names are refused to stop DNS rebinding attacks',
      suggestion:
        'Use http://localhost or http://127.0.0.1, or ask the operator to add the name to ALLOWED_HOSTS',
    }),
  },
  POLICY_DENIED: {
    status: 403,
    title: 'Package denied by policy',
    guidance: (d) => ({
      rule: d.rule,
      ...(d.pattern !== undefined ? { pattern: d.pattern } : {}),
      suggestion:
        typeof d.suggestion === 'string'
          ? d.suggestion
          : 'Pick another package or version, or ask the operator to change the package policy',
    }),
  },
  TOOL_NOT_ALLOWED: {
    status: 403,
    title: 'Not allowed for this caller',
    rpcCode: JsonRpcCode.InvalidParams,
    guidance: (d) => ({
      kind: d.kind,
      name: d.name,
      suggestion: `This ${String(d.kind ?? 'tool')} is not among what your key or token may use here (the gateway's tool permissions); list again to see what you may use, or ask the operator to grant it`,
    }),
  },
  SUPPLY_CHAIN_REFUSED: {
    status: 403,
    title: 'Supply chain not as required',
    guidance: (d) => ({
      required: d.required,
      found: d.found,
      ...(d.what !== undefined ? { what: d.what } : {}),
      ...(d.rule !== undefined ? { rule: d.rule } : {}),
      ...(d.packages !== undefined ? { packages: d.packages } : {}),
      suggestion:
        d.found === 'invalid'
          ? 'The package is not what its registry signature or attestation says was published: do not run it; report it to the registry and the operator'
          : `This gateway runs ${d.rule ? 'this package' : 'packages'} only with ${String(d.required)} verified (${d.rule ? `SUPPLY_CHAIN_RULES ${String(d.rule)}` : 'SUPPLY_CHAIN'}); use a registry that signs and serves attestations (registry.npmjs.org), a version published with provenance from the required repository, or ask the operator to relax the rule`,
    }),
  },
  TOOL_PENDING_APPROVAL: {
    status: 403,
    title: 'Held for an administrator',
    rpcCode: JsonRpcCode.InvalidParams,
    guidance: (d) => ({
      kind: d.kind,
      name: d.name,
      id: d.id,
      reason: d.reason,
      state: d.state,
      suggestion:
        d.state === 'rejected'
          ? `An administrator refused this ${String(d.kind ?? 'tool')}'s new definition; it stays unavailable until the server returns to the approved one`
          : `The server changed this ${String(d.kind ?? 'tool')}'s definition since it was first seen (tool pinning); an administrator must approve the change: GET /tool-changes, then POST /tool-changes/${String(d.id)}/approve (or the dashboard). The other tools keep working`,
    }),
  },
  RATE_LIMITED: {
    status: 429,
    retryAfter: (d) => (typeof d.retryAfterSeconds === 'number' ? d.retryAfterSeconds : 60),
    title: 'Too many requests',
    guidance: (d) => ({
      limit: d.limit,
      retryAfterSeconds: d.retryAfterSeconds,
      suggestion: 'Wait for Retry-After seconds before trying again',
    }),
  },
  SESSION_LIMIT_REACHED: {
    status: 429,
    title: 'Too many sessions',
    guidance: (d) => ({
      limit: d.limit,
      suggestion:
        'Every session of this key has a request in flight: wait for one to finish, or close sessions you no longer use (DELETE with Mcp-Session-Id)',
    }),
  },
  TOO_MANY_STREAMS: {
    status: 429,
    retryAfter: 10,
    title: 'Too many open streams',
    guidance: (d) => ({
      limit: d.limit,
      scope: d.scope,
      retryAfterSeconds: 10,
      suggestion:
        'Close dashboard tabs you do not watch; the operator sets DASHBOARD_STREAMS_PER_KEY and DASHBOARD_STREAMS_PER_ADDRESS',
    }),
  },
} satisfies Record<string, ErrorEntry>;
