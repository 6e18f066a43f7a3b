/** @module The health check of one child: an MCP ping; a child that does not answer is killed (and so restarted). */
import type { Logger } from '../observability/logger.js';
import { RpcRequestError } from '../protocol/rpc-errors.js';
import type { ManagedProcess } from './managed-process.js';

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
