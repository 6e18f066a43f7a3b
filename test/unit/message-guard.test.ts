/**
 * The relay's message guard against the SDK's own schema: on generated messages, valid and invalid,
 * both must agree (the SDK stays the source of the protocol rules; the guard is its fast path).
 */
import { isSpecType } from '@modelcontextprotocol/server';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isJsonRpcMessage } from '../../src/protocol/message-guard.js';

const id = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constant(null), fc.boolean(), fc.object());
const anyValue = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.object(), fc.array(fc.integer()));
const meta = fc.oneof(
  fc.constant(undefined),
  fc.record(
    { progressToken: fc.oneof(fc.string(), fc.integer(), fc.double(), fc.object(), fc.constant(null)) },
    { requiredKeys: [] },
  ),
  anyValue,
);
const params = fc.oneof(
  fc.constant(undefined),
  anyValue,
  fc.record({ _meta: meta, x: anyValue }, { requiredKeys: [] }),
);
const errorObject = fc.oneof(
  fc.record(
    {
      code: fc.oneof(fc.integer(), fc.double(), fc.string()),
      message: fc.oneof(fc.string(), fc.integer()),
      data: anyValue,
      extra: anyValue,
    },
    { requiredKeys: [] },
  ),
  anyValue,
);
const message = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('2.0'), fc.constant('1.0'), fc.integer()),
    id,
    method: fc.oneof(fc.string(), fc.integer()),
    params,
    result: fc.oneof(fc.object(), anyValue),
    error: errorObject,
    extra: anyValue,
  },
  { requiredKeys: [] },
);

describe('isJsonRpcMessage', () => {
  it('agrees with the SDK schema on generated messages', () => {
    fc.assert(
      fc.property(message, (m) => {
        const clean = JSON.parse(JSON.stringify(m) ?? 'null'); // what arrives is JSON
        expect(isJsonRpcMessage(clean)).toBe(isSpecType.JSONRPCMessage(clean));
      }),
      { numRuns: 10_000 },
    );
  });

  it('accepts what MCP servers and clients send', () => {
    const valid = [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'echo', _meta: { progressToken: 'p' } },
      },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 'a', result: { content: [] } },
      { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'Method not found', data: { x: 1 } } },
    ];
    for (const m of valid) {
      expect(isJsonRpcMessage(m)).toBe(true);
      expect(isSpecType.JSONRPCMessage(m)).toBe(true);
    }
  });
});
