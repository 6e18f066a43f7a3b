/**
 * @module Install progress for a `stdio` request sent with `Accept: text/event-stream`: each step of
 * getting the package ready is a `progress` event (resolving, resolved, installing, the installer's output
 * lines, installed or cached, starting, initialized or reused), and the stream ends with the usual JSON
 * answer as a `result` event, or the usual error JSON (with its HTTP status) as an `error` event.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { toErrorResponse } from '../../errors/error-response.js';
import type { LaunchStep } from '../../launch/package-launcher.js';

/**
 * True when the client asked for the progress stream: it accepts event streams and not JSON (MCP
 * clients accept both, and they get the plain JSON answer).
 */
export function wantsProgress(c: Context): boolean {
  const accept = c.req.header('accept') ?? '';
  return accept.includes('text/event-stream') && !accept.includes('application/json');
}

/** Streams `run`'s progress, then its answer or its error. */
export function streamLaunch(
  c: Context,
  run: (progress: (step: LaunchStep) => void) => Promise<object>,
  onError: (err: unknown, status: number) => void,
): Response {
  c.header('x-accel-buffering', 'no');
  return streamSSE(c, async (stream) => {
    const send = (event: string, data: unknown) => stream.writeSSE({ event, data: JSON.stringify(data) });
    try {
      const answer = await run((step) => void send('progress', step).catch(() => undefined));
      await send('result', answer);
    } catch (err) {
      const { status, body } = toErrorResponse(err);
      onError(err, status);
      await send('error', { ...body, status });
    }
  });
}
