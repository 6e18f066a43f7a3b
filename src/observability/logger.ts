/**
 * @module Structured JSON logging (pino). Secrets are redacted by path, and every value the
 * SecretRedactor knows is masked wherever it appears in a line. With a log directory (the default),
 * combined.log and error.log are written besides stdout, rotated by size (rotating-file-stream, the
 * classic logrotate scheme: combined.log.1 … .N).
 */
import cluster from 'node:cluster';
import { chmodSync, chownSync } from 'node:fs';
import type { Writable } from 'node:stream';
import pino from 'pino';
import { createStream } from 'rotating-file-stream';
import { mkdirPrivateSync } from '../process/private-dir.js';
import type { SecretRedactor } from './secret-redactor.js';

export type Logger = pino.Logger;

/** Field paths never logged in clear. */
export const REDACT_PATHS = [
  'env',
  '*.env',
  'connectionInfo.env',
  'query',
  '*.query',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'apiKey',
  '*.apiKey',
  'token',
  '*.token',
  'secret',
  '*.secret',
];

/** How log files rotate, and who may read them. */
export interface Rotation {
  /** Size past which a file is rotated, bytes. */
  maxBytes: number;
  /** Rotated files kept. */
  maxFiles: number;
  /**
   * The group that may read the files (LOG_FILE_GROUP, a gid): files 0640 and folders 0750 then;
   * otherwise 0600 and 0700, the gateway's user alone (logs name packages, principals and tools).
   */
  gid?: number;
}

/** A file in `dir` rotated past `r.maxBytes`, keeping `r.maxFiles` old ones. Errors go to stderr, once. */
export function rotatingFile(dir: string, name: string, r: Rotation): Writable {
  const group = r.gid !== undefined;
  mkdirPrivateSync(dir, group ? 0o750 : 0o700);
  const mode = group ? 0o640 : 0o600;
  const stream = createStream(name, { path: dir, size: `${r.maxBytes}B`, rotate: r.maxFiles, mode });
  // Files an older version made, or made under another umask, get the mode too (as each is opened).
  stream.on('open', (file: string) => {
    try {
      chmodSync(file, mode);
      if (group) chownSync(file, -1, r.gid as number);
    } catch {
      // reported by the stream's own error if it cannot write either
    }
  });
  let reported = false;
  stream.on('error', (err: Error) => {
    if (!reported) process.stderr.write(`log file ${dir}/${name}: ${err.message}\n`);
    reported = true;
  });
  return stream;
}

/** The open log files of each logger, closed by closeLogFiles. */
const files = new WeakMap<object, Writable[]>();

/** Writes out and closes the logger's files (before exit). */
export async function closeLogFiles(logger: Logger): Promise<void> {
  await Promise.all(
    (files.get(logger) ?? []).map(
      (f) => new Promise<void>((resolve) => (f.writableFinished ? resolve() : f.end(() => resolve()))),
    ),
  );
}

export interface LoggerOptions {
  level: string;
  dir?: string | undefined;
  /** Rotation of the files in `dir` (default 10 MiB, 5 files). */
  rotation?: Rotation;
  /** Replaces the default destination (tests). */
  destination?: pino.DestinationStream;
  /** Masks known secret values in every line before it is written. */
  redactor?: SecretRedactor;
  /** Where JSON lines go besides the files: stdout (default), stderr, or nowhere (a terminal's CLI). */
  console?: 'stdout' | 'stderr' | 'none';
}

/** Wraps a destination so that every line passes through the redactor first. */
function masked(stream: pino.DestinationStream, redactor?: SecretRedactor): pino.DestinationStream {
  if (!redactor) return stream;
  const s = stream as pino.DestinationStream & {
    flush?: (cb?: (err?: Error) => void) => void;
    flushSync?: () => void;
  };
  return {
    write: (line: string) => s.write(redactor.size > 0 ? redactor.mask(line) : line),
    flush: (cb?: (err?: Error) => void) => (s.flush ? s.flush(cb) : cb?.()),
    flushSync: () => s.flushSync?.(),
  } as pino.DestinationStream;
}

/**
 * Standard output: written to file descriptor 1 directly (fast), except in a worker of node:cluster,
 * where PM2's cluster mode collects what goes through `process.stdout` (fd 1 leads nowhere there).
 */
function stdout(): pino.DestinationStream {
  return cluster.isWorker ? process.stdout : pino.destination({ dest: 1, sync: false });
}

/** Creates the gateway's root logger. */
export function createLogger(o: LoggerOptions): Logger {
  const base: pino.LoggerOptions = {
    level: o.level,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    base: { service: 'mcp-registry-server' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (o.destination) return pino(base, masked(o.destination, o.redactor));
  const consoleStream =
    o.console === 'none'
      ? undefined
      : o.console === 'stderr'
        ? pino.destination({ dest: 2, sync: false })
        : stdout();
  if (!o.dir)
    return consoleStream ? pino(base, masked(consoleStream, o.redactor)) : pino({ ...base, level: 'silent' });
  const rotation = o.rotation ?? { maxBytes: 10 * 1024 * 1024, maxFiles: 5 };
  const combined = rotatingFile(o.dir, 'combined.log', rotation);
  const errors = rotatingFile(o.dir, 'error.log', rotation);
  const streams: pino.StreamEntry[] = [
    ...(consoleStream ? [{ level: o.level as pino.Level, stream: masked(consoleStream, o.redactor) }] : []),
    {
      level: o.level as pino.Level,
      stream: masked(combined as unknown as pino.DestinationStream, o.redactor),
    },
    { level: 'error', stream: masked(errors as unknown as pino.DestinationStream, o.redactor) },
  ];
  const logger = pino({ ...base, level: o.level }, pino.multistream(streams));
  files.set(logger, [combined, errors]);
  return logger;
}
