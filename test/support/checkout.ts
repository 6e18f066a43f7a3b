/** A checkout's layout in a temp directory, as an operator has it: deploy/, a build in dist/, the dependencies. */
import { execFile } from 'node:child_process';
import { cp, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** Builds the checkout in `<dir>/app` (deploy files copied, dist compiled, node_modules linked); returns it. */
export async function prepareCheckout(dir: string): Promise<string> {
  const app = path.join(dir, 'app');
  await mkdir(path.join(app, 'deploy'), { recursive: true });
  await cp(path.join(ROOT, 'deploy'), path.join(app, 'deploy'), { recursive: true });
  await cp(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
  await symlink(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'));
  await run(
    path.join(ROOT, 'node_modules/.bin/tsc'),
    ['-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(app, 'dist')],
    { timeout: 120_000 },
  );
  return app;
}
