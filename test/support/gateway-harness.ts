/** Builds a real gateway (real store, real children) against the test registries, in this process. */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type ServerType, serve } from '@hono/node-server';
import { afterAll, beforeAll, inject } from 'vitest';
import type { z } from 'zod';
import type { ConfigSchema } from '../../src/config/config.js';
import { type DeepPartial, loadConfig } from '../../src/config/config.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';

export interface TestGateway {
  gw: Gateway;
  dir: string;
  /** Every log line written, for secret-leak checks. */
  logs: string[];
  get(pathAndQuery: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }>;
  /** Serves the app over real HTTP on `port` (default: a free one) of loopback; resolves with the base URL. */
  serve(port?: number): Promise<string>;
  /** Calls a tool on a managed process over the gateway's stdio link; returns the first text content. */
  callTool(processId: string, name: string, args?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

type Overrides = DeepPartial<z.input<typeof ConfigSchema>>;

/**
 * A gateway at its DEFAULT settings, pointed at the test registries and a private store; `overrides` are
 * for the one setting a test is about (a limit, a timeout), never to make a suite pass.
 */
export async function startTestGateway(
  overrides: Overrides = {},
  options: GatewayOptions = {},
): Promise<TestGateway> {
  const reg = inject('registries');
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-gw-test-'));
  // Sandboxed children run as an unprivileged uid that must be able to traverse to the store and run dir.
  await chmod(dir, 0o711);
  const base: Overrides = {
    registry: { npmUrl: reg.npm, pypiIndexUrl: reg.pypi, npmDownloadsUrl: reg.downloads },
    store: { dir: path.join(dir, 'store') },
    process: { runDir: path.join(dir, 'run') },
    log: { level: 'debug', dir: path.join(dir, 'logs') },
    oauth: { dataDir: path.join(dir, 'oauth') },
  };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  let gw: Gateway;
  try {
    gw = await createGateway(loadConfig({}, merge(base, overrides)), { ...options, logDestination: sink });
  } catch (err) {
    // A gateway that refuses to start (the tests of start-up errors) leaves nothing behind either.
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  let server: ServerType | undefined;
  return {
    gw,
    dir,
    logs,
    async get(p, init) {
      const res = await gw.app.request(p, init);
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, body, headers: res.headers };
    },
    serve(port = 0) {
      return new Promise((resolve) => {
        server = serve(
          {
            fetch: gw.app.fetch,
            port,
            hostname: '127.0.0.1',
            createServer: gw.createServer,
          },
          (info) => resolve(`http://127.0.0.1:${info.port}`),
        );
      });
    },
    async callTool(processId, name, args = {}) {
      const hit = gw.processes.get(processId);
      if (!hit) throw new Error(`no process ${processId}`);
      const result = (await hit.process.request('tools/call', { name, arguments: args }, 10_000)) as {
        content: Array<{ text: string }>;
      };
      return result.content[0]?.text ?? '';
    },
    async close() {
      (server as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.();
      server?.close();
      await gw.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function merge(a: any, b: any): any {
  if (b === undefined) return a;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(b)) {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
    return out;
  }
  return b;
}

/** Serves a gateway for the tests of a describe block (beforeAll/afterAll); `use` receives it and its URL. */
export function useServedGateway(
  use: (t: TestGateway, base: string) => void,
  overrides: Overrides = {},
): void {
  let t: TestGateway | undefined;
  beforeAll(async () => {
    t = await startTestGateway(overrides);
    use(t, await t.serve());
  });
  afterAll(async () => {
    await t?.close();
  });
}
