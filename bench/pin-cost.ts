/**
 * What tool pinning costs a `tools/list` of 100 tools, in the relay's own guard (front/pin-guard.ts) with
 * its store (store/tool-pins.ts): the first sight (each definition hashed and pinned) and the steady
 * state (the same list again, the common case), as ms per list. `npm run bench:pins`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pinGuard } from '../src/front/pin-guard.js';
import { ToolPins } from '../src/store/tool-pins.js';

const TOOLS = 100;
const ROUNDS = 2000;
const dir = mkdtempSync(path.join(tmpdir(), 'mcp-gw-pin-bench-'));
try {
  const tools = Array.from({ length: TOOLS }, (_, i) => ({
    name: `tool_${i}`,
    description: `Does thing ${i}: a description of a realistic length saying what the tool does and when to use it.`,
    inputSchema: {
      type: 'object',
      properties: { query: { type: 'string', description: 'What to look for' }, limit: { type: 'number' } },
      required: ['query'],
    },
    annotations: { readOnlyHint: true },
  }));
  // Each list as a child's answer would be: parsed afresh from its JSON text.
  const text = JSON.stringify({ tools });
  const lists = Array.from({ length: ROUNDS }, () => JSON.parse(text));
  const pins = new ToolPins(dir, 'hold');
  const guard = pinGuard(pins, { registry: 'npm', name: 'bench', version: '1.0.0', config: 'c' });
  let t = performance.now();
  guard.shape('tools/list', lists[0]);
  const first = performance.now() - t;
  await pins.settled();
  t = performance.now();
  for (const list of lists) guard.shape('tools/list', list);
  const steady = (performance.now() - t) / ROUNDS;
  console.log(
    `tool pinning, a tools/list of ${TOOLS} tools: first sight ${first.toFixed(2)} ms, then ${steady.toFixed(3)} ms per list`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
