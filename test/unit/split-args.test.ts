import { describe, expect, it } from 'vitest';
import { maskArgs, maskArgsText, secretArgValues } from '../../src/runtime/secret-args.js';
import { splitArgs } from '../../src/runtime/split-args.js';

describe('splitArgs', () => {
  it.each([
    ['--tools=all --flag=value', ['--tools=all', '--flag=value']],
    ['--client=claude   --tools=dynamic', ['--client=claude', '--tools=dynamic']],
    ['"a b" c', ['a b', 'c']],
    ["'it''s' x", ['its', 'x']],
    ['\'single "inner"\'', ['single "inner"']],
    ['"say \\"hi\\""', ['say "hi"']],
    ['a\\ b', ['a b']],
    ['$HOME ; rm -rf / | cat > x', ['$HOME', ';', 'rm', '-rf', '/', '|', 'cat', '>', 'x']],
    ['$(whoami) `id` *', ['$(whoami)', '`id`', '*']],
    ['""', ['']],
    ['', []],
    ['   ', []],
  ])('%j', (input, expected) => {
    expect(splitArgs(input)).toEqual(expected);
  });

  it.each(['"unterminated', "it's", 'trailing\\', 'nul\u0000'])('refuses %j', (input) => {
    expect(() => splitArgs(input)).toThrow(expect.objectContaining({ code: 'INVALID_ARGS' }));
  });

  it('enforces limits', () => {
    expect(() => splitArgs('a b c', { maxArgs: 2, maxArgBytes: 10 })).toThrow(/more than 2/);
    expect(() => splitArgs('abcdefghijk', { maxArgs: 2, maxArgBytes: 10 })).toThrow(/longer than 10/);
  });
});

describe('secret args', () => {
  it('finds and masks secret option values', () => {
    const args = ['--tools=all', '--api-key=sk_live_123', '--token', 'tok_456', '--verbose'];
    expect(secretArgValues(args)).toEqual(['sk_live_123', 'tok_456']);
    expect(maskArgs(args)).toEqual(['--tools=all', '--api-key=***', '--token', '***', '--verbose']);
    // A bare key-like value is masked too; plain words are not.
    expect(maskArgs(['ACa1b2c3d4e5f6a7b8c9d0/SKf0e1d2c3b4a5', 'sandbox'])).toEqual(['***', 'sandbox']);
  });

  it('never echoes a secret from args that fail to split', () => {
    let err: unknown;
    try {
      splitArgs("--read-only --token 'tok_sekrit_value");
    } catch (e) {
      err = e;
    }
    expect((err as { details: { args: string } }).details.args).toBe('--read-only --token ***');
    expect(maskArgsText('--api-key="abc123 --x')).toBe('--api-key=*** --x');
  });
});
