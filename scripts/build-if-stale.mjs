// Builds dist/ only when a source is newer than it (npm start on a built checkout starts at once).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const mtime = (p) => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
};
const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
    const p = path.join(dir, e.name);
    return Math.max(max, e.isDirectory() ? newest(p) : mtime(p));
  }, -1);

const built = mtime(path.join(root, 'dist', 'main.js'));
const sources = Math.max(
  newest(path.join(root, 'src')),
  mtime(path.join(root, 'tsconfig.json')),
  mtime(path.join(root, 'tsconfig.build.json')),
  mtime(path.join(root, 'package-lock.json')),
);
if (built < sources) {
  process.stderr.write('building dist/ (sources changed) …\n');
  const tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
