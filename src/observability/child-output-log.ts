/**
 * @module Each child's output kept for operators: `<log dir>/processes/<process id>.log`, stderr as written
 * and stdout lines that are not JSON-RPC (prefixed `[stdout] `), masked like every log line, rotated by
 * size like the gateway's own logs. The file outlives the process (its post-mortem); rotation bounds it.
 */
import path from 'node:path';
import { type Rotation, rotatingFile } from './logger.js';

/** Where a child's own output is kept for operators (a rotated file per process), masked by the writer. */
export interface ChildOutputLog {
  /** Text the child wrote: a stderr chunk, or a stdout line that is not JSON-RPC. */
  write(stream: 'stderr' | 'stdout', text: string): void;
  close(): void;
}

/** Opens the output log of a process, or returns undefined when logs are not written to files. */
export function childOutputLogs(
  dir: string | undefined,
  rotation: Rotation,
  mask: (s: string) => string,
): ((processId: string) => ChildOutputLog) | undefined {
  if (!dir) return undefined;
  const processesDir = path.join(dir, 'processes');
  // A child's output is smaller than the gateway's: a fifth of the size, two rotated files.
  const own: Rotation = {
    ...rotation,
    maxBytes: Math.max(1024, Math.floor(rotation.maxBytes / 5)),
    maxFiles: 2,
  };
  return (processId) => {
    const file = rotatingFile(processesDir, `${processId}.log`, own);
    let closed = false;
    return {
      write: (stream, text) => {
        if (closed) return;
        file.write(mask(stream === 'stdout' ? `[stdout] ${text}` : text));
      },
      close: () => {
        closed = true;
        file.end();
      },
    };
  };
}
