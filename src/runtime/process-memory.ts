/**
 * @module Resident memory of a whole process group (a server and its grandchildren), read from /proc
 * on Linux; 0 where /proc is unavailable. One scan of /proc serves every group for a second, so a
 * listing of many processes costs one scan, not one per process.
 */
import { readdir, readFile } from 'node:fs/promises';

const PAGE_SIZE = 4096;
/** How long one scan answers for, ms. */
const SCAN_TTL_MS = 1000;

let scan: { at: number; byGroup: Promise<Map<number, number>> } | undefined;

/** RSS bytes per process group, from one pass over /proc. */
async function scanGroups(): Promise<Map<number, number>> {
  const byGroup = new Map<number, number>();
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return byGroup;
  }
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid) => {
        try {
          const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
          // Fields after the parenthesised command: state ppid pgrp ... (proc(5)); rss is field 24.
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          const pgid = Number(fields[2]);
          byGroup.set(pgid, (byGroup.get(pgid) ?? 0) + Number(fields[21] ?? 0) * PAGE_SIZE);
        } catch {
          // The process exited while we looked.
        }
      }),
  );
  return byGroup;
}

/** Sum of RSS bytes of every process whose process group is `pgid` (a scan at most a second old). */
export async function groupRssBytes(pgid: number, now = Date.now()): Promise<number> {
  if (!scan || now - scan.at > SCAN_TTL_MS) scan = { at: now, byGroup: scanGroups() };
  return (await scan.byGroup).get(pgid) ?? 0;
}
