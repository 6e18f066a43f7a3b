/**
 * Warm start vs `npx -y`: how long until an MCP server answers `initialize`, started
 *  - by `npx -y pkg@version` with a warm npx cache (what the original registry server did on every start),
 *  - by this gateway from its store (package installed, no process running: a new process),
 *  - by this gateway reusing a running process,
 *  - directly with `node <bin>` (the floor).
 * Uses the real npm registry and @modelcontextprotocol/server-everything. Prints a table and writes
 * bench/results/warm-start.md. Run: npm run bench:warm-start
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial } from '@sigstore/verify';
import { loadConfig } from '../src/config/config.js';
import { createGateway } from '../src/gateway.js';
import { judgeNpmAttestations } from '../src/registry/npm-provenance.js';
import { registryKeysAsSigstore, SigstoreTrust } from '../src/registry/sigstore-trust.js';
import {
  NPM_PUBLISH,
  npmStatement,
  registryKey,
  SLSA_V1,
  startSigstoreInstance,
} from '../test/support/sigstore-instance.js';

const PKG = '@modelcontextprotocol/server-everything';
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const INIT = `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } })}\n`;

/** Spawns `cmd args`, sends initialize, resolves with ms until the answer; kills the process group. */
function timeToInitialize(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env, detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} did not answer in 120 s`)), 120_000);
    child.stdout.on('data', (c) => {
      out += String(c);
      if (out.includes('"id":1')) {
        const ms = performance.now() - started;
        clearTimeout(timer);
        process.kill(-(child.pid as number), 'SIGKILL');
        resolve(ms);
      }
    });
    child.on('error', reject);
    child.stdin.write(INIT);
  });
}

/** The RSS of this process's slirp4netns children (one per running child), KiB each on average. */
function slirpRssKb(): number | undefined {
  const rss: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (
        !/^Name:\s+slirp4netns$/m.test(status) ||
        !new RegExp(`^PPid:\\s+${process.pid}$`, 'm').test(status)
      )
        continue;
      rss.push(Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0));
    } catch {
      // gone meanwhile
    }
  }
  return rss.length > 0 ? rss.reduce((a, b) => a + b, 0) / rss.length : undefined;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

/**
 * What verifying provenance costs per install where a registry serves attestations (this machine's
 * mirror serves none): the public-good trust material built once, then npm's two bundles (publish and
 * SLSA provenance, made by the tests' Sigstore instance in npm's format) verified, median of 20.
 */
async function provenanceCost(dir: string): Promise<{ trustMs: number; verifyMs: number }> {
  let started = performance.now();
  await new SigstoreTrust({ cacheDir: path.join(dir, 'tuf'), timeoutMs: 5000 }).material(undefined);
  const trustMs = performance.now() - started;
  const sigstore = await startSigstoreInstance();
  const key = registryKey();
  const identity = {
    repository: 'https://github.com/acme/x',
    commit: 'a'.repeat(40),
    ref: 'refs/heads/main',
    workflow: '.github/workflows/release.yml',
  };
  const sha512 = 'ab'.repeat(64);
  const doc = {
    attestations: [
      {
        predicateType: NPM_PUBLISH,
        bundle: await sigstore.publishBundle(
          npmStatement(NPM_PUBLISH, 'x', '1.0.0', sha512),
          key.privateKey,
          key.listed.keyid,
        ),
      },
      {
        predicateType: SLSA_V1,
        bundle: await sigstore.provenanceBundle(
          npmStatement(SLSA_V1, 'x', '1.0.0', sha512, identity),
          identity,
        ),
      },
    ],
  };
  const trust = {
    trust: toTrustMaterial(TrustedRoot.fromJSON(sigstore.trustedRoot), registryKeysAsSigstore([key.listed])),
    source: 'bench',
  };
  const integrity = `sha512-${Buffer.from(sha512, 'hex').toString('base64')}`;
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    started = performance.now();
    const verdict = judgeNpmAttestations(doc, { name: 'x', version: '1.0.0', integrity }, trust);
    times.push(performance.now() - started);
    if (verdict.status !== 'verified') throw new Error(`provenance bench: ${JSON.stringify(verdict)}`);
  }
  return { trustMs, verifyMs: median(times) };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mcp-bench-'));
  await chmod(dir, 0o711); // sandboxed children (another uid under root) pass through to the store
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const env = (sandbox: string, run: string, network = 'auto') => ({
    STORE_DIR: path.join(dir, 'store'),
    RUN_DIR: path.join(dir, run),
    NPM_DOWNLOADS_API_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: 'warn',
    SANDBOX: sandbox,
    CHILD_NETWORK: network,
  });
  const gw = await createGateway(loadConfig(env('auto', 'run')), { logDestination: sink });
  const sandbox = (await (await gw.app.request('/health')).json()) as {
    sandbox: { mode: string; network: { mode: string } };
  };
  try {
    const request = async (g = gw) => {
      const started = performance.now();
      const res = await g.app.request(`/package/${PKG}/stdio`);
      const body = (await res.json()) as {
        processId: string;
        version: string;
        connectionInfo: { command: string; args: string[] };
        supplyChain?: {
          packages: number;
          signatures: string;
          ms: number;
          provenance?: { status: string };
        } | null;
      };
      if (res.status !== 200) throw new Error(JSON.stringify(body));
      return { ms: performance.now() - started, body };
    };
    const cold = await request();
    const version = cold.body.version;
    // The same sandbox on the host's network (what the child's own network namespace costs), and no
    // sandbox at all; the store is shared, these gateways only read it.
    const shared = await createGateway(loadConfig(env('auto', 'run-hostnet', 'host')), {
      logDestination: sink,
    });
    const bare = await createGateway(loadConfig(env('none', 'run-bare')), { logDestination: sink });
    const warm: number[] = [];
    const reuse: number[] = [];
    const hostNetwork: number[] = [];
    const unsandboxed: number[] = [];
    const direct: number[] = [];
    let slirpKb: number | undefined;
    const fresh = async (g: typeof gw) => {
      for (const { process: p } of g.processes.list()) await g.processes.stop(p.id);
      return (await request(g)).ms;
    };
    try {
      // Round robin: the machine's drift (a loaded 2-core box) hits every variant alike.
      for (let i = 0; i < RUNS; i++) {
        warm.push(await fresh(gw));
        reuse.push((await request()).ms);
        slirpKb ??= slirpRssKb();
        hostNetwork.push(await fresh(shared));
        unsandboxed.push(await fresh(bare));
        const { command, args } = cold.body.connectionInfo;
        direct.push(await timeToInitialize(command, args, { PATH: process.env.PATH }));
      }
    } finally {
      await shared.shutdown();
      await bare.shutdown();
    }
    const npmCache = path.join(dir, 'npm-cache');
    const npxEnv = { ...process.env, npm_config_cache: npmCache, npm_config_update_notifier: 'false' };
    const npxArgs = ['-y', `${PKG}@${version}`];
    const npxCold = await timeToInitialize('npx', npxArgs, npxEnv);
    const provenance = await provenanceCost(dir);
    const npx: number[] = [];
    for (let i = 0; i < RUNS; i++) npx.push(await timeToInitialize('npx', npxArgs, npxEnv));

    const rows: Array<[string, number]> = [
      ['npx -y, empty npx cache (download + install)', npxCold],
      ['gateway, first request (resolve + install + start)', cold.ms],
      [
        `of which the supply-chain check (signatures of ${cold.body.supplyChain?.packages ?? 0} packages: ${cold.body.supplyChain?.signatures ?? 'not run'}; provenance: ${cold.body.supplyChain?.provenance?.status ?? 'not run'})`,
        cold.body.supplyChain?.ms ?? 0,
      ],
      [
        'provenance check where a registry serves attestations (2 Sigstore bundles; median of 20)',
        provenance.verifyMs,
      ],
      ['loading the Sigstore trusted root (once per gateway)', provenance.trustMs],
      ['npx -y, warm npx cache', median(npx)],
      [
        `gateway, warm start from its store (new process, sandbox ${sandbox.sandbox.mode}, network ${sandbox.sandbox.network.mode})`,
        median(warm),
      ],
      ['gateway, warm start from its store (new process, sandbox, CHILD_NETWORK=host)', median(hostNetwork)],
      ['gateway, warm start from its store (new process, SANDBOX=none)', median(unsandboxed)],
      ['node <bin> directly (floor)', median(direct)],
      ['gateway, reuse of the running process', median(reuse)],
    ];
    const speedup = median(npx) / median(warm);
    const table = [
      `Warm start of ${PKG}@${version}: time until the server answers \`initialize\` (median of ${RUNS}; node ${process.version}, ${new Date().toISOString().slice(0, 10)})`,
      '',
      '| start | time |',
      '| --- | ---: |',
      ...rows.map(([k, v]) => `| ${k} | ${fmt(v)} |`),
      '',
      `Warm start from the store is **${speedup.toFixed(1)}x faster** than \`npx -y\` with a warm cache; reusing a running process answers in ${fmt(median(reuse))}. The child's own network namespace (unshare, slirp4netns, nftables) costs ${fmt(median(warm) - median(hostNetwork))} per new process${slirpKb ? ` and ${(slirpKb / 1024).toFixed(1)} MiB (slirp4netns's RSS) per child` : ''}; bubblewrap and the limits ${fmt(median(hostNetwork) - median(unsandboxed))} (medians of runs taken in turn; differences under about 20 ms are within this machine's noise).`,
      '',
    ].join('\n');
    process.stdout.write(`${table}\n`);
    await writeFile(path.join(import.meta.dirname, 'results', 'warm-start.md'), table);
  } finally {
    await gw.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
