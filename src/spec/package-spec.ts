/**
 * @module Parsing and validation of the `{packageName}[@{version}]` part of a package URL (pure).
 * Only installable registry packages pass: URLs, git specs, tarballs, paths and npm aliases are refused,
 * because the gateway installs from its configured registries and nothing else.
 */
import { GatewayError } from '../errors/gateway-error.js';

export type RegistryKind = 'npm' | 'pypi';

/** One exact version of a package (what the store holds, what a child runs, what permissions name). */
export interface PackageRef {
  registry: RegistryKind;
  name: string;
  version: string;
}

/** A validated package request. `registry` is set only when the user gave an explicit prefix. */
export interface PackageSpec {
  registry?: RegistryKind;
  name: string;
  /** The requested version spec: `latest` when none was given. */
  version: string;
  /** The spec as the user wrote it (decoded). */
  raw: string;
}

/** Longest accepted spec, in characters (npm names are at most 214). */
export const MAX_SPEC_LENGTH = 300;

/**
 * npm name rules (validate-npm-package-name): lowercase, url-safe, optional scope, no leading . or _.
 * Stricter in one point: no leading `-` either, so a name can never be read as an option by npm or pip.
 */
const NPM_NAME = /^(?:@[a-z0-9~][a-z0-9-._~]*\/)?[a-z0-9~][a-z0-9-._~]*$/;
/** PEP 508 project names: letters, digits, . _ -, starting and ending with a letter or digit. */
const PYPI_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const DIST_TAG = /^[A-Za-z][A-Za-z0-9._-]*$/;
/** Characters a version spec may hold (npm ranges and PEP 440 specifiers). */
const VERSION_CHARS = /^[A-Za-z0-9.^~<>=!*+_,| -]+$/;

interface RemoteRule {
  test: (s: string) => boolean;
  kind: string;
}

const REMOTE_RULES: RemoteRule[] = [
  { test: (s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /:\/\//.test(s), kind: 'Remote server URL' },
  {
    test: (s) => /^(?:git\+|git:|git@|github:|gitlab:|bitbucket:|gist:)/i.test(s),
    kind: 'Git repository spec',
  },
  { test: (s) => /^(?:file:|link:|workspace:|portal:|patch:)/i.test(s), kind: 'Local file path' },
  { test: (s) => /^(?:\/|\.{1,2}(?:\/|\\|$)|~[\\/])/.test(s) || s.includes('\\'), kind: 'Local file path' },
  { test: (s) => s.includes('..'), kind: 'Path traversal (..)' },
  { test: (s) => /\.(?:tgz|tar|tar\.gz|tar\.bz2|tar\.xz|zip|whl|egg)$/i.test(s), kind: 'Tarball or archive' },
];

function remote(raw: string, kind: string): GatewayError {
  return new GatewayError(
    'REMOTE_NOT_SUPPORTED',
    `Package '${raw}' appears to be a remote MCP server or a non-registry source (${kind.toLowerCase()}). This registry only supports installable packages from npm or PyPI.`,
    { kind, spec: raw },
  );
}

function invalid(raw: string, why: string): GatewayError {
  return new GatewayError('INVALID_PACKAGE_SPEC', `Invalid package name '${raw}': ${why}.`, { spec: raw });
}

/** Splits `name@version` honouring npm scopes (`@scope/name@1.0.0`). */
function splitNameVersion(body: string): { name: string; version?: string } {
  const at = body.indexOf('@', body.startsWith('@') ? 1 : 0);
  if (at === -1) return { name: body };
  return { name: body.slice(0, at), version: body.slice(at + 1) };
}

function stripPrefix(spec: string): { registry?: RegistryKind; body: string } {
  const m = /^(npm|pypi):/i.exec(spec);
  if (!m) return { body: spec };
  return { registry: m[1]?.toLowerCase() as RegistryKind, body: spec.slice(m[0].length) };
}

/**
 * Parses and validates a decoded package spec.
 * @throws GatewayError REMOTE_NOT_SUPPORTED for URLs, git, paths, tarballs and aliases;
 *   INVALID_PACKAGE_SPEC for malformed names; INVALID_VERSION_SPEC for malformed versions.
 */
export function parsePackageSpec(raw: string): PackageSpec {
  if (raw.length === 0) throw invalid(raw, 'the package name is empty');
  if (raw.length > MAX_SPEC_LENGTH)
    throw invalid(`${raw.slice(0, 40)}…`, `longer than ${MAX_SPEC_LENGTH} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw invalid(JSON.stringify(raw), 'it contains control characters');
  for (const rule of REMOTE_RULES) if (rule.test(raw)) throw remote(raw, rule.kind);

  const { registry, body } = stripPrefix(raw);
  for (const rule of REMOTE_RULES) if (rule.test(body)) throw remote(raw, rule.kind);
  const { name, version } = splitNameVersion(body);

  if (version !== undefined) checkVersionIsRegistryVersion(raw, version);
  validateName(raw, name, registry);
  return { ...(registry ? { registry } : {}), name, version: version?.trim() || 'latest', raw };
}

function checkVersionIsRegistryVersion(raw: string, version: string): void {
  if (/^npm:/i.test(version)) throw remote(raw, 'npm alias (name@npm:other)');
  if (version.includes(':') || version.includes('/'))
    throw remote(raw, 'Non-registry version (URL, git or path)');
  if (version.trim() === '')
    throw new GatewayError('INVALID_VERSION_SPEC', `Empty version after '@' in '${raw}'.`, { version });
  if (!VERSION_CHARS.test(version)) {
    throw new GatewayError(
      'INVALID_VERSION_SPEC',
      `Version '${version}' contains characters no version or range uses.`,
      { version },
    );
  }
}

function validateName(raw: string, name: string, registry?: RegistryKind): void {
  if (name === '') throw invalid(raw, 'the package name is empty');
  if (/\s/.test(name)) throw invalid(raw, 'package names contain no spaces');
  if (!name.startsWith('@') && name.includes('/'))
    throw remote(raw, 'Git repository spec (GitHub user/repo shorthand)');
  const npmOk = NPM_NAME.test(name) && name.length <= 214;
  const pypiOk = PYPI_NAME.test(name);
  if (registry === 'npm' && !npmOk) throw invalid(raw, 'not a valid npm package name');
  if (registry === 'pypi' && !pypiOk) throw invalid(raw, 'not a valid PyPI project name');
  if (!npmOk && !pypiOk) throw invalid(raw, 'not a valid npm or PyPI package name');
}

/** True when `version` names a dist-tag (like `latest` or `next`) rather than a version or range. */
export function isDistTag(version: string): boolean {
  return DIST_TAG.test(version);
}

/** The registry kinds a name is valid for, in detection order (npm first). */
export function candidateRegistries(spec: PackageSpec): RegistryKind[] {
  if (spec.registry) return [spec.registry];
  const out: RegistryKind[] = [];
  if (NPM_NAME.test(spec.name)) out.push('npm');
  if (PYPI_NAME.test(spec.name)) out.push('pypi');
  return out;
}
