/** @module The gid of a group given by name or number (LOG_FILE_GROUP), from /etc/group (group(5)). */
import { readFileSync } from 'node:fs';

/** The gid of `group` (a name or a number), or undefined when this system has no such group. */
export function groupId(group: string, etcGroup = readEtcGroup()): number | undefined {
  if (/^\d+$/.test(group)) return Number(group);
  for (const line of etcGroup.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}

function readEtcGroup(): string {
  try {
    return readFileSync('/etc/group', 'utf8');
  } catch {
    return '';
  }
}
