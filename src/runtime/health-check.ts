/**
 * @module A child's health: the periodic check (an MCP ping; a child that does not answer is killed, and
 * so restarted) and the verdict on a crash (restart, or give up for good).
 */
import type { Logger } from '../observability/logger.js';
import { RpcRequestError } from '../protocol/rpc-errors.js';
import { describeExit, type ManagedProcess } from './managed-process.js';
import { limitHit } from './resource-limits.js';

/** Pings `p`; kills it when the ping fails or times out (an error answer proves it alive). */
export async function pingOrKill(p: ManagedProcess, timeoutMs: number, logger: Logger): Promise<void> {
  try {
    await p.ping(timeoutMs);
  } catch (err) {
    // An error answer still proves the server is alive (some servers do not implement ping).
    if (err instanceof RpcRequestError && err.kind === 'remote') return;
    if (p.status !== 'running') return;
    logger.warn({ processId: p.id, err: (err as Error).message }, 'health check failed; killing the server');
    await p.kill();
  }
}

/**
 * Whether a crashed child must not be restarted: it ran out of a resource limit (a restart would only
 * burn it again), or its restart budget is spent. Undefined: restart it.
 */
export function crashVerdict(
  p: ManagedProcess,
  exit: { code: number | null; signal: NodeJS.Signals | null; error?: string },
  maxRestarts: number,
): { reason: string; message: string; facts?: Record<string, unknown> } | undefined {
  const tails = p.outputTails(30);
  const limit = limitHit(exit, [...tails.stderrTail, ...tails.stdoutTail].join('\n'));
  if (limit)
    return {
      reason: `stopped: it exceeded its ${limit} limit (${describeExit(exit)})`,
      message: 'MCP server exceeded a resource limit',
      facts: { limit },
    };
  if (p.restarts >= maxRestarts)
    return {
      reason: `${describeExit(exit)}; restarted ${p.restarts} times, giving up`,
      message: 'MCP server failed for good',
    };
  return undefined;
}
