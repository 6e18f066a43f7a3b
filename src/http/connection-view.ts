/**
 * @module What a caller sees of how a server runs (pure). Admins see the command line as it is; other
 * principals see no absolute host path (where the store, the runtimes and the gateway live tell an
 * attacker where to aim): the command by its name, store paths relative to the store.
 */
import path from 'node:path';

export interface ConnectionInfo {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** `info` as `admin` or another principal may see it; `storeDir` is the store's absolute path. */
export function connectionInfoFor(info: ConnectionInfo, admin: boolean, storeDir: string): ConnectionInfo {
  if (admin) return info;
  const prefix = storeDir.endsWith('/') ? storeDir : `${storeDir}/`;
  const relative = (arg: string) => {
    if (arg.startsWith(prefix)) return `<store>/${arg.slice(prefix.length)}`;
    return path.isAbsolute(arg) ? path.basename(arg) : arg;
  };
  return { command: path.basename(info.command), args: info.args.map(relative), env: info.env };
}
