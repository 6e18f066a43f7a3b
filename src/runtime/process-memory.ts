/**
 * @module Resident memory of a whole process group (a server and its grandchildren), read from /proc
 * on Linux; 0 where /proc is unavailable.
 */
import { readdir, readFile } from 'node:fs/promises';

const PAGE_SIZE = 4096;

/** Sum of RSS bytes of every process whose process group is `pgid`. */
export async function groupRssBytes(pgid: number): Promise<number> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return 0;
  }
  let total = 0;
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid) => {
        try {
          const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
          // Fields after the parenthesised command: state ppid pgrp ... (proc(5)); rss is field 24.
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          if (Number(fields[2]) !== pgid) return;
          total += Number(fields[21] ?? 0) * PAGE_SIZE;
        } catch {
          // The process exited while we looked.
        }
      }),
  );
  return total;
}
