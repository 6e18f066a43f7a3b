/**
 * A real nginx (Debian's package) in front of several gateway instances, configured from deploy/nginx.conf:
 * its upstream block with one `server` line per instance (round robin) and its `location /` block (the
 * proxy settings operators run), on a plain loopback port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, waitForHttp } from './net.js';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const DEPLOY = path.resolve(import.meta.dirname, '../../deploy');

/** The `start {…}` block of an nginx file (balanced braces) that contains `inside`. */
function block(text: string, start: string, inside = start): string {
  const from = text.lastIndexOf(start, text.indexOf(inside));
  if (from < 0) throw new Error(`deploy/nginx.conf has no '${start}' block`);
  let depth = 0;
  for (let i = text.indexOf('{', from); i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) return text.slice(from, i + 1);
  }
  throw new Error('unbalanced braces in deploy/nginx.conf');
}

/**
 * Writes `<dir>/<name>.conf`: an nginx main configuration that runs in the foreground as this user, with
 * every path below `dir`, and `http` holding `lines`. @returns its path.
 */
export async function writeNginxMain(dir: string, name: string, lines: string[]): Promise<string> {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
    (t) => `  ${t}_temp_path ${path.join(dir, t)};`,
  );
  const file = path.join(dir, `${name}.conf`);
  const main = [
    'daemon off;',
    'worker_processes 1;',
    `pid ${path.join(dir, `${name}.pid`)};`,
    `error_log ${path.join(dir, `${name}-error.log`)} warn;`,
    'events { worker_connections 512; }',
    'http {',
    '  access_log off;',
    ...temp,
    ...lines,
    '}',
    '',
  ];
  await writeFile(file, main.join('\n'));
  return file;
}

export interface NginxFront {
  url: string;
  stop(): void;
}

/** Starts nginx on a free port with deploy/nginx.conf's upstream pointing at `ports`. */
export async function startNginxFront(dir: string, ports: number[]): Promise<NginxFront> {
  if (!NGINX) throw new Error('nginx not found: apt-get install nginx');
  const conf = await readFile(path.join(DEPLOY, 'nginx.conf'), 'utf8');
  const servers = ports.map((p) => `    server 127.0.0.1:${p};`).join('\n');
  const upstream = block(conf, 'upstream mcp_registry')
    .replace(/^\s*#?\s*server [^;]+;.*$/gm, '')
    .replace('{', `{\n${servers}`);
  const location = block(conf, 'location / {', 'proxy_pass http://mcp_registry');
  const port = await freePort();
  const file = await writeNginxMain(dir, 'nginx-front', [
    upstream,
    `  server {\n    listen 127.0.0.1:${port};\n    client_max_body_size 17m;\n    ${location}\n  }`,
  ]);
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', file], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/health`, 15_000);
  } catch (err) {
    child.kill('SIGTERM'); // never leave an nginx behind that no test can stop (TERM: workers too)
    throw err;
  }
  return { url, stop: () => child.kill('SIGQUIT') };
}
