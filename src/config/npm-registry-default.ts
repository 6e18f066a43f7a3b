/**
 * @module The npm registry the operator's npm is configured for (`npm config get registry`, which reads
 * every .npmrc layer), used when no registry variable is set.
 */
import { runCommand } from '../process/run-command.js';

/** The configured registry URL without trailing slash, or undefined when npm is absent or silent. */
export async function npmConfiguredRegistry(npmPath: string | null): Promise<string | undefined> {
  if (!npmPath) return undefined;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('npm_')) env[k] = v;
  const res = await runCommand(npmPath, ['config', 'get', 'registry'], { env, timeoutMs: 10_000 });
  const url = res.code === 0 ? res.stdout.trim() : '';
  return /^https?:\/\//.test(url) ? url.replace(/\/+$/, '') : undefined;
}
