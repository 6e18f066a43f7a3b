/**
 * Starts the real parts every integration test shares: a Verdaccio npm registry with the fixture
 * packages, a static PyPI simple index with fixture wheels, and the npm downloads-API double.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { FIXTURE_PACKAGES } from './fixtures/npm/packages.js';
import { startDownloadsApi } from './support/downloads-api.js';
import { startPypiIndex } from './support/pypi-index.js';
import { preparePythonClient } from './support/python-client.js';
import { startVerdaccio } from './support/verdaccio.js';

declare module 'vitest' {
  export interface ProvidedContext {
    registries: { npm: string; pypi: string; downloads: string; work: string };
    /** The Python of a venv with the Python MCP SDK client. */
    pythonClient: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const work = await mkdtemp(path.join(tmpdir(), 'mcp-gw-registries-'));
  const started = Date.now();
  const counts = Object.fromEntries(FIXTURE_PACKAGES.map((p) => [p.name, p.downloads ?? 5000]));
  // Real packages the e2e suites fetch from the real npm registry (the downloads API double answers for them).
  counts['@modelcontextprotocol/server-everything'] = 250_000;
  counts['firecrawl-mcp'] = 120_000;
  counts['@twilio-alpha/mcp'] = 20_000;
  const [npm, pypi, downloads, pythonClient] = await Promise.all([
    startVerdaccio(path.join(work, 'verdaccio')),
    startPypiIndex(path.join(work, 'pypi')),
    startDownloadsApi(counts),
    preparePythonClient(path.join(work, 'python-client')),
  ]);
  process.stderr.write(
    `[global-setup] registries ready in ${Date.now() - started} ms (npm ${npm.url}, pypi ${pypi.url})\n`,
  );
  project.provide('registries', { npm: npm.url, pypi: pypi.url, downloads: downloads.url, work });
  project.provide('pythonClient', pythonClient);
  return async () => {
    await Promise.all([npm.stop(), pypi.stop(), downloads.stop()]);
    await rm(work, { recursive: true, force: true });
  };
}
