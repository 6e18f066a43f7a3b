/**
 * @module Structured JSON logging (pino). Secrets are redacted by path, and every value the
 * SecretRedactor knows is masked wherever it appears in a line. With a log directory, combined.log and
 * error.log are written besides stdout.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
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

export interface LoggerOptions {
  level: string;
  dir?: string;
  /** Replaces the default destination (tests). */
  destination?: pino.DestinationStream;
  /** Masks known secret values in every line before it is written. */
  redactor?: SecretRedactor;
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

/** Creates the gateway's root logger. */
export function createLogger(o: LoggerOptions): Logger {
  const base: pino.LoggerOptions = {
    level: o.level,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    base: { service: 'mcp-registry-server' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (o.destination) return pino(base, masked(o.destination, o.redactor));
  if (!o.dir) return pino(base, masked(pino.destination({ dest: 1, sync: false }), o.redactor));
  mkdirSync(o.dir, { recursive: true });
  const streams: pino.StreamEntry[] = [
    { level: o.level as pino.Level, stream: masked(pino.destination({ dest: 1, sync: false }), o.redactor) },
    {
      level: o.level as pino.Level,
      stream: masked(
        pino.destination({ dest: path.join(o.dir, 'combined.log'), mkdir: true, sync: false }),
        o.redactor,
      ),
    },
    {
      level: 'error',
      stream: masked(
        pino.destination({ dest: path.join(o.dir, 'error.log'), mkdir: true, sync: false }),
        o.redactor,
      ),
    },
  ];
  return pino({ ...base, level: o.level }, pino.multistream(streams));
}
