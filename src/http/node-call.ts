/**
 * @module The front's view (front/http-call.ts) of a request on the hot path: Node's IncomingMessage and
 * ServerResponse, with no web Request or Response. The body is read once from the socket's chunks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { BUFFER_LIMIT, passable } from '../cluster/forwarder.js';
import type { EventSink, HttpCall } from '../front/http-call.js';
import { parseJsonBody, refuseDeclaredSize, tooLarge } from './json-body.js';

/** Reads a request body of at most `limit` bytes. @throws GatewayError PAYLOAD_TOO_LARGE */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume(); // drain what is still coming, so the answer can be read
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export class NodeCall implements HttpCall {
  readonly method: string;
  readonly path: string;
  /** The status sent, once something was (0 before). */
  status = 0;
  private body: Promise<unknown> | undefined;
  private bytes: Buffer | undefined;

  /** `base`: headers every answer carries (security headers, X-Request-Id), as name, value, name, value… */
  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    path: string,
    private readonly base: string[],
  ) {
    this.method = req.method ?? 'GET';
    this.path = path;
  }

  /** The base headers and `own`, flat (the form writeHead takes with the least work). */
  private headers(own: Record<string, string>): string[] {
    const out = this.base.slice();
    for (const name in own) out.push(name, own[name] as string);
    return out;
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }

  json(limit: number): Promise<unknown> {
    this.body ??= (async () => {
      refuseDeclaredSize(this.header('content-length'), limit);
      this.bytes = await readBody(this.req, limit);
      return parseJsonBody(this.bytes.toString('utf8'));
    })();
    return this.body;
  }

  answer(status: number, headers: Record<string, string>, body: string | null): void {
    if (this.status !== 0) return;
    this.status = status;
    this.res.writeHead(status, this.headers(headers));
    this.res.end(body ?? undefined);
  }

  stream(headers: Record<string, string>): EventSink {
    const res = this.res;
    if (this.status === 0) {
      this.status = 200;
      res.writeHead(200, this.headers(headers));
      res.flushHeaders();
    }
    return {
      write: (text) => {
        if (res.writableEnded || res.destroyed) return false;
        res.write(text);
        return true;
      },
      end: () => {
        if (!res.writableEnded) res.end();
      },
    };
  }

  respond(web: Response): void {
    if (this.status !== 0) return;
    this.status = web.status;
    const headers: Record<string, string> = {};
    web.headers.forEach((value, name) => {
      headers[name] = value;
    });
    this.res.writeHead(web.status, this.headers(headers));
    if (!web.body) {
      this.res.end();
      return;
    }
    Readable.fromWeb(web.body as never)
      .on('error', () => this.res.destroy())
      .pipe(this.res);
  }

  /**
   * The body to pass on to another instance: whole when small and of declared length (read once), else
   * the request itself as a stream.
   */
  async forwardBody(): Promise<Buffer | Readable | undefined> {
    const length = Number(this.header('content-length') ?? Number.NaN);
    if (length === 0) return undefined;
    if (length <= BUFFER_LIMIT) {
      this.bytes = await readBody(this.req, BUFFER_LIMIT);
      return this.bytes;
    }
    return this.req;
  }

  /** Sends another instance's answer on as it came, with this call's base headers in place of its own. */
  passOn(answer: IncomingMessage): void {
    if (this.status !== 0) {
      answer.resume();
      return;
    }
    this.status = answer.statusCode ?? 502;
    const raw = answer.rawHeaders;
    const own = new Set<string>();
    for (let i = 0; i < this.base.length; i += 2) own.add(this.base[i] as string);
    const headers = this.base.slice();
    for (let i = 0; i < raw.length; i += 2) {
      const name = (raw[i] as string).toLowerCase();
      if (passable(name) && !own.has(name)) headers.push(name, raw[i + 1] as string);
    }
    const length = answer.headers['content-length'];
    if (length !== undefined) headers.push('content-length', length);
    answer.on('error', () => this.res.destroy());
    if (length !== undefined && Number(length) <= BUFFER_LIMIT) {
      // A small answer of known length (a JSON answer, as a rule) goes out in one write.
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        this.res.writeHead(this.status, headers);
        this.res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
      });
      return;
    }
    this.res.writeHead(this.status, headers);
    this.res.flushHeaders(); // an SSE answer's head goes at once
    answer.pipe(this.res);
  }

  webRequest(): Request {
    const headers = new Headers();
    for (const [name, value] of Object.entries(this.req.headers))
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    const url = `http://${this.header('host') ?? 'localhost'}${this.req.url ?? '/'}`;
    const hasBody = this.bytes !== undefined && this.method !== 'GET' && this.method !== 'HEAD';
    return new Request(url, { method: this.method, headers, ...(hasBody ? { body: this.bytes } : {}) });
  }

  onAbort(cb: () => void): void {
    if (this.res.writableFinished) return;
    if (this.res.destroyed) {
      queueMicrotask(cb);
      return;
    }
    this.res.once('close', () => {
      if (!this.res.writableFinished) cb();
    });
  }
}
