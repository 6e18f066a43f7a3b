/**
 * @module Host header validation against DNS rebinding (pure). A page on evil.example whose DNS name is
 * re-pointed at 127.0.0.1 reaches a loopback gateway with `Host: evil.example`; a loopback gateway
 * therefore answers only loopback names, plus what the operator lists in ALLOWED_HOSTS.
 */
import { compileOrigins } from './origin-check.js';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

/** True for addresses and names that only the local machine reaches. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The host name of a Host header value, without port, lower case (IPv6 keeps its brackets). */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d*$/, '');
}

/**
 * Compiles the Host rule once. With `allowedHosts` (`*` wildcards) only those names pass; otherwise a
 * loopback bind accepts only loopback names and any other bind accepts every name (the API keys guard it).
 */
export function compileHostCheck(
  bindHost: string,
  allowedHosts: readonly string[],
): (host: string) => boolean {
  const patterns = compileOrigins(allowedHosts);
  const loopback = isLoopbackHost(bindHost);
  return (host) => {
    const name = hostName(host);
    if (patterns.length > 0)
      return patterns.some((re) => re.test(name)) || (loopback && LOOPBACK_NAMES.includes(name));
    return !loopback || LOOPBACK_NAMES.includes(name) || /^127\.\d+\.\d+\.\d+$/.test(name);
  };
}
