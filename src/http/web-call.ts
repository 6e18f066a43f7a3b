/**
 * @module The front's view (front/http-call.ts) of a request Hono serves: initializes, GET streams,
 * DELETE, requests from browsers and forwarded requests (the hot path has its own: front-door.ts). What
 * the front answers becomes the route's Response.
 */
import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import type { EventSink, HttpCall } from '../front/http-call.js';
import { readRequestJson } from './json-body.js';

const encoder = new TextEncoder();

/** An HttpCall over Hono's context, and the Response it settles to once the front answers. */
export function webCall(c: Context): { call: HttpCall; response: Promise<Response> } {
  let settle: (res: Response) => void = () => undefined;
  const response = new Promise<Response>((resolve) => {
    settle = resolve;
  });
  const aborts: Array<() => void> = [];
  let aborted = false;
  const abort = () => {
    if (aborted) return;
    aborted = true;
    for (const cb of aborts.splice(0)) cb();
  };
  // Served by Node: the response's own 'close' says the client left. Reading `c.req.raw.signal` would
  // make @hono/node-server build the whole web Request (a stream over the body) for every request.
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (outgoing)
    outgoing.once('close', () => {
      if (!outgoing.writableFinished) abort();
    });
  else c.req.raw.signal?.addEventListener('abort', abort, { once: true });
  let body: Promise<unknown> | undefined;
  const call: HttpCall = {
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    header: (name) => c.req.header(name),
    json(limit) {
      body ??= readRequestJson(c, limit);
      return body;
    },
    answer(status, headers, text) {
      settle(new Response(text, { status, headers }));
    },
    stream(headers): EventSink {
      let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
      let open = true;
      const stream = new ReadableStream<Uint8Array>({
        start: (ctl) => {
          controller = ctl;
        },
        cancel: () => {
          open = false;
          abort();
        },
      });
      settle(new Response(stream, { status: 200, headers }));
      return {
        write(text) {
          if (!open || !controller) return false;
          try {
            controller.enqueue(encoder.encode(text));
            return true;
          } catch {
            open = false;
            return false;
          }
        },
        end() {
          if (!open) return;
          open = false;
          try {
            controller?.close();
          } catch {
            // closed by the client already
          }
        },
      };
    },
    respond: (res) => settle(res),
    webRequest: () => c.req.raw,
    onAbort(cb) {
      if (aborted) queueMicrotask(cb);
      else aborts.push(cb);
    },
  };
  return { call, response };
}
