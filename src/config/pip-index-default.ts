/**
 * @module The package indexes the operator's pip is configured for (`pip config list`, which reads every
 * pip.conf layer and PIP_* variables), used when PYPI_INDEX_URL is not set: `index-url` and every
 * `extra-index-url`, `file://` indexes included, as pip itself would search them.
 */
import { runCommand } from '../process/run-command.js';

export interface PipIndexes {
  indexUrl?: string;
  extraIndexUrls: string[];
}

/** Where pip's settings come from, strongest first (pip's own precedence: environment, command, global). */
const SECTIONS = [':env:', 'install', 'global'];

/** Parses `pip config list` output (`section.key='value'` lines). */
export function parsePipConfigList(text: string): PipIndexes {
  const values = new Map<string, string>();
  // A value may span lines (pip.conf continuation lines list several extra indexes).
  for (const m of text.matchAll(/^([^.=\s]+)\.([a-z-]+)='([^']*)'$/gm))
    values.set(`${m[1]}.${m[2]}`, m[3] as string);
  const pick = (key: string) =>
    SECTIONS.map((s) => values.get(`${s}.${key}`)).find((v) => v !== undefined && v.trim() !== '');
  // pip prints line breaks inside a value as a literal `\n`.
  const urls = (v: string | undefined) =>
    (v ?? '').split(/(?:\s|\\n)+/).filter((u) => /^(https?|file):\/\//.test(u));
  const indexUrl = urls(pick('index-url'))[0];
  return {
    ...(indexUrl ? { indexUrl: indexUrl.replace(/\/+$/, '') } : {}),
    extraIndexUrls: urls(pick('extra-index-url')).map((u) => u.replace(/\/+$/, '')),
  };
}

/** Asks `python -m pip config list`; empty when pip is absent or says nothing. */
export async function pipConfiguredIndexes(python: string | null): Promise<PipIndexes> {
  if (!python) return { extraIndexUrls: [] };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const res = await runCommand(python, ['-m', 'pip', 'config', 'list'], { env, timeoutMs: 10_000 });
  return res.code === 0 ? parsePipConfigList(res.stdout) : { extraIndexUrls: [] };
}
