/** Install progress as server-sent events on a `stdio` request with `Accept: text/event-stream`. */
import { describe, expect, it } from 'vitest';
import { type TestGateway, useServedGateway } from '../support/gateway-harness.js';

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** The events of a finished SSE answer. */
async function events(res: Response): Promise<SseEvent[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('data:'))
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

describe('install progress on stdio', () => {
  let t: TestGateway;
  let base: string;
  useServedGateway((gw, url) => {
    t = gw;
    base = url;
  });
  const get = (path: string) => fetch(`${base}${path}`, { headers: { accept: 'text/event-stream' } });

  it('streams each step, the installer output, then the usual JSON answer', async () => {
    const res = await get('/package/fixture-echo-mcp@1.3.0/stdio?apiKey=progress-secret-5');
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const all = await events(res);
    const steps = all.filter((e) => e.event === 'progress').map((e) => e.data.step);
    const order = steps.filter((s) => s !== 'output');
    expect(order).toEqual(['resolving', 'resolved', 'installing', 'installed', 'starting', 'initialized']);
    expect(steps).toContain('output'); // npm's own lines
    expect(all.find((e) => e.data.step === 'resolved')?.data).toMatchObject({
      registry: 'npm',
      name: 'fixture-echo-mcp',
      version: '1.3.0',
    });
    const last = all.at(-1);
    expect(last?.event).toBe('result');
    expect(last?.data).toMatchObject({ success: true, version: '1.3.0', reused: false });
    expect(JSON.stringify(all)).not.toContain('progress-secret-5');
    expect(t.gw.processes.get(String(last?.data.processId))?.process.status).toBe('running');

    const again = await events(await get('/package/fixture-echo-mcp@1.3.0/stdio?apiKey=progress-secret-5'));
    expect(again.filter((e) => e.event === 'progress').map((e) => e.data.step)).toEqual([
      'resolving',
      'resolved',
      'cached',
      'starting',
      'reused',
    ]);
  });

  it('ends with the usual error JSON, and its status, when the package cannot be had', async () => {
    const all = await events(await get('/package/fixture-does-not-exist-anywhere/stdio'));
    expect(all.at(-1)).toMatchObject({
      event: 'error',
      data: { code: 'PACKAGE_NOT_FOUND', status: 404, guidance: expect.any(Object) },
    });
  });

  it('keeps answering plain JSON to clients that did not ask for events, or accept JSON too', async () => {
    for (const accept of ['*/*', 'application/json, text/event-stream']) {
      const res = await fetch(`${base}/package/fixture-echo-mcp@1.3.0/stdio`, { headers: { accept } });
      expect(res.headers.get('content-type'), accept).toMatch(/application\/json/);
      expect(((await res.json()) as { success: boolean }).success).toBe(true);
    }
  });
});
