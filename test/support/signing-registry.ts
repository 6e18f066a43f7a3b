/**
 * A registry that signs, in front of the test Verdaccio: it serves what registry.npmjs.org adds and a
 * mirror strips, in npm's documented formats — its keys at `/-/npm/v1/keys`, `dist.signatures` on every
 * version of a packument (`name@version:integrity` signed with its key), and for the packages given,
 * `dist.attestations` and the attestations document at `/-/npm/v1/attestations/name@version`, made by
 * the tests' Sigstore instance for the tarball's real sha512. Tarballs still come from Verdaccio.
 * And its PyPI counterpart: a PEP 691 index with PEP 740 provenance links (startAttestingPypiIndex).
 */
import crypto from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type BuildIdentity,
  NPM_PUBLISH,
  npmStatement,
  pep740Provenance,
  registryKey,
  SLSA_V1,
  type startSigstoreInstance,
} from './sigstore-instance.js';

type Instance = Awaited<ReturnType<typeof startSigstoreInstance>>;
interface Packument {
  versions: Record<string, { dist: Record<string, unknown> & { integrity: string } }>;
}

/** What to attest per `name@version`: the identity, and optionally another digest (a tampered one). */
export type Attested = Record<string, { identity: BuildIdentity; sha512?: string }>;

export async function startSigningRegistry(upstream: string, sigstore: Instance, attested: Attested) {
  const key = registryKey();
  const packument = async (name: string): Promise<Packument | undefined> => {
    const res = await fetch(`${upstream}/${name.replace('/', '%2F')}`, {
      headers: { accept: 'application/json' },
    });
    return res.ok ? ((await res.json()) as Packument) : undefined;
  };
  const attestations = async (name: string, version: string) => {
    const want = attested[`${name}@${version}`];
    const integrity = (await packument(name))?.versions[version]?.dist.integrity;
    if (!want || !integrity) return undefined;
    const hex = want.sha512 ?? Buffer.from(integrity.replace(/^sha512-/, ''), 'base64').toString('hex');
    const { identity } = want;
    return {
      attestations: [
        {
          predicateType: NPM_PUBLISH,
          bundle: await sigstore.publishBundle(
            npmStatement(NPM_PUBLISH, name, version, hex),
            key.privateKey,
            key.listed.keyid,
          ),
        },
        {
          predicateType: SLSA_V1,
          bundle: await sigstore.provenanceBundle(
            npmStatement(SLSA_V1, name, version, hex, identity),
            identity,
          ),
        },
      ],
    };
  };
  const server = createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '/');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    void (async () => {
      if (url === '/-/npm/v1/keys') return json(200, { keys: [key.listed] });
      const attest = /^\/-\/npm\/v1\/attestations\/(.+)@([^@/]+)$/.exec(url);
      if (attest) {
        const doc = await attestations(attest[1] as string, attest[2] as string);
        return doc ? json(200, doc) : json(404, { error: 'Not found' });
      }
      if (/^\/(@[^/]+\/)?[^/@]+$/.test(url) && !url.startsWith('/-/')) {
        const name = url.slice(1);
        const doc = await packument(name);
        if (!doc) return json(404, { error: 'Not found' });
        for (const [version, v] of Object.entries(doc.versions)) {
          const sig = crypto.sign(
            'sha256',
            Buffer.from(`${name}@${version}:${v.dist.integrity}`),
            key.privateKey,
          );
          v.dist.signatures = [{ keyid: key.listed.keyid, sig: sig.toString('base64') }];
          if (attested[`${name}@${version}`])
            v.dist.attestations = {
              url: `http://${req.headers.host}/-/npm/v1/attestations/${name.replace('/', '%2f')}@${version}`,
              provenance: { predicateType: SLSA_V1 },
            };
        }
        return json(200, doc);
      }
      const passed = await fetch(`${upstream}${req.url}`, {
        headers: { accept: req.headers.accept ?? '*/*' },
      });
      res.writeHead(passed.status, {
        'content-type': passed.headers.get('content-type') ?? 'application/octet-stream',
      });
      res.end(Buffer.from(await passed.arrayBuffer()));
    })().catch((err: Error) => json(502, { error: err.message }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * A PEP 691 JSON index for one project of the test PyPI index (its files served from there), with a
 * PEP 740 `provenance` link on each file to an object the tests' Sigstore instance made for that file's
 * real sha256 — what pypi.org serves for a Trusted Publisher's uploads.
 */
export async function startAttestingPypiIndex(
  staticIndex: string,
  project: string,
  sigstore: Instance,
  identity: BuildIdentity,
) {
  const page = await (await fetch(`${staticIndex}/${project}/`)).text();
  const files = [
    ...page.matchAll(
      /href="([^"#]+)#sha256=([0-9a-f]{64})"[^>]*data-core-metadata="sha256=([0-9a-f]{64})"[^>]*>([^<]+)</g,
    ),
  ].map((m) => ({
    url: new URL(m[1] as string, `${staticIndex}/${project}/`).toString(),
    sha256: m[2] as string,
    metadata: m[3] as string,
    filename: m[4] as string,
  }));
  const provenance = new Map<string, unknown>();
  for (const f of files) provenance.set(f.filename, await pep740Provenance(sigstore, f, identity));
  const server = createServer((req, res) => {
    const base = `http://${req.headers.host}`;
    const url = decodeURIComponent(req.url ?? '/');
    if (url === `/simple/${project}/`) {
      res.writeHead(200, { 'content-type': 'application/vnd.pypi.simple.v1+json' });
      return res.end(
        JSON.stringify({
          meta: { 'api-version': '1.1' },
          name: project,
          files: files.map((f) => ({
            filename: f.filename,
            url: f.url,
            hashes: { sha256: f.sha256 },
            'core-metadata': { sha256: f.metadata },
            provenance: `${base}/integrity/${project}/${f.filename}/provenance`,
          })),
        }),
      );
    }
    const wanted = /^\/integrity\/[^/]+\/([^/]+)\/provenance$/.exec(url)?.[1];
    const doc = wanted ? provenance.get(wanted) : undefined;
    res.writeHead(doc ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(doc ?? { message: 'Not Found' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
