/**
 * @module Splits the `args` query parameter into argv words the way a POSIX shell splits words
 * (whitespace, '…', "…", backslash), without expansions and without ever running a shell (pure).
 * `$`, `;`, `|`, `*` and friends stay literal characters: no shell ever sees them.
 */
import { GatewayError } from '../errors/gateway-error.js';
import { maskArgsText } from './secret-args.js';

export interface SplitLimits {
  /** Most words accepted (default 64). */
  maxArgs: number;
  /** Longest word in bytes (default 4096). */
  maxArgBytes: number;
}

const DEFAULT_LIMITS: SplitLimits = { maxArgs: 64, maxArgBytes: 4096 };
/** Inside double quotes a backslash escapes only these (POSIX 2.2.3). */
const DQ_ESCAPABLE = new Set(['"', '\\', '$', '`', '\n']);

function argsError(input: string, why: string): GatewayError {
  // What the caller sent comes back masked: secret options and key-like values never echo (SECURITY.md).
  const shown = maskArgsText(input.replaceAll('\0', ''));
  return new GatewayError('INVALID_ARGS', `Invalid args: ${why}.`, {
    args: shown.length > 200 ? `${shown.slice(0, 200)}…` : shown,
  });
}

/**
 * Splits `input` into words. Throws INVALID_ARGS on unterminated quotes, a trailing backslash,
 * NUL characters or limits exceeded.
 */
export function splitArgs(input: string, limits: SplitLimits = DEFAULT_LIMITS): string[] {
  if (input.includes('\0')) throw argsError(input, 'NUL characters cannot be passed to a program');
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const push = () => {
    if (!inWord) return;
    if (Buffer.byteLength(word) > limits.maxArgBytes)
      throw argsError(input, `an argument is longer than ${limits.maxArgBytes} bytes`);
    words.push(word);
    if (words.length > limits.maxArgs) throw argsError(input, `more than ${limits.maxArgs} arguments`);
    word = '';
    inWord = false;
  };
  while (i < input.length) {
    const ch = input[i] as string;
    if (/\s/.test(ch)) {
      push();
      i++;
    } else if (ch === "'") {
      const end = input.indexOf("'", i + 1);
      if (end === -1) throw argsError(input, 'unterminated single quote');
      word += input.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i = readDoubleQuoted(input, i + 1, (s) => {
        word += s;
      });
      inWord = true;
    } else if (ch === '\\') {
      if (i + 1 >= input.length) throw argsError(input, 'trailing backslash');
      word += input[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  push();
  return words;
}

/** Reads a "…" section starting after the opening quote; returns the index after the closing quote. */
function readDoubleQuoted(input: string, start: number, emit: (s: string) => void): number {
  let i = start;
  while (i < input.length) {
    const ch = input[i] as string;
    if (ch === '"') return i + 1;
    if (ch === '\\' && i + 1 < input.length && DQ_ESCAPABLE.has(input[i + 1] as string)) {
      emit(input[i + 1] as string);
      i += 2;
    } else {
      emit(ch);
      i++;
    }
  }
  throw argsError(input, 'unterminated double quote');
}
