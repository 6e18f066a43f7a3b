/** @module What the relay tells the audit log of a tools/call: the tool's name, outcome and time, never its arguments (pure). */
import type { JSONRPCMessage } from '@modelcontextprotocol/server';

/** A finished tools/call. */
export interface ToolCallRecord {
  tool: string;
  /** ok, error (a JSON-RPC error), tool-error (a result with isError), cancelled. */
  outcome: 'ok' | 'error' | 'tool-error' | 'cancelled';
  ms: number;
}

/** The tool a request calls, and when it started; undefined for anything but tools/call. */
export function toolCallOf(
  method: string,
  params: Record<string, unknown>,
): { name: string; started: number } | undefined {
  const name = method === 'tools/call' ? params.name : undefined;
  return typeof name === 'string' ? { name: name.slice(0, 200), started: Date.now() } : undefined;
}

/** How a tools/call ended, from the child's answer. */
export function toolCallOutcome(answer: JSONRPCMessage): 'ok' | 'error' | 'tool-error' {
  if ('error' in answer) return 'error';
  return (answer as { result?: { isError?: unknown } }).result?.isError === true ? 'tool-error' : 'ok';
}
