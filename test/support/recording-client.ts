/** An SDK client that keeps the text of every answer it was sent (to prove what never reached it). */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

/** Connects to the Streamable HTTP endpoint `url`; `listChanged()` resolves at the next tools/list_changed. */
export async function recordingClient(url: string) {
  const received: string[] = [];
  const recording: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if ((init?.method ?? 'GET') === 'POST') received.push(await res.clone().text());
    return res;
  };
  const client = new Client({ name: 'recording-test-client', version: '1.0.0' });
  let changed: () => void = () => {};
  const listChanged = () =>
    new Promise<void>((resolve) => {
      changed = resolve;
    });
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => changed());
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: recording }));
  return { client, received, listChanged };
}
