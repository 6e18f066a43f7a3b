/** @module CIDR notation check for network settings (CHILD_ALLOW_NETS) (pure). */

/** True for an IPv4 or IPv6 CIDR (or a lone address) nft accepts as written. */
export function isCidr(item: string): boolean {
  const [addr = '', bits, extra] = item.split('/');
  if (extra !== undefined) return false;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (v4) {
    if (v4.slice(1).some((o) => Number(o) > 255)) return false;
    return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= 32);
  }
  if (!/^[0-9a-fA-F:]+$/.test(addr) || !addr.includes(':') || (addr.match(/::/g)?.length ?? 0) > 1)
    return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= 128);
}
