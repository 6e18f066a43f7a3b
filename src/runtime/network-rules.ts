/**
 * @module The firewall of a child's own network namespace (pure): nftables rules installed by the gateway
 * (root in the namespace's owning user namespace; the child has no capability there, so it cannot change
 * them). A child reaches the public internet through slirp4netns, whose virtual network is 10.0.2.0/24:
 * 10.0.2.2 is the host's loopback (only where slirp4netns allows it), 10.0.2.3 slirp's DNS forwarder.
 * Refused by default: the host (10.0.2.2 and so the gateway, its cluster address, Redis, every local
 * service), link-local addresses (169.254.0.0/16 holds cloud metadata services; fe80::/10), the private
 * ranges of RFC 1918 (10/8, 172.16/12, 192.168/16), shared address space (100.64/10, RFC 6598), unique
 * local IPv6 (fc00::/7), and reserved or multicast space. `CHILD_HOST_PORTS` opens listed host loopback
 * ports (the child's own 127.0.0.1:PORT is forwarded to the host's); `CHILD_ALLOW_NETS` opens listed
 * networks.
 */

/** slirp4netns's fixed addresses (slirp4netns(1), "--configure"). */
export const SLIRP = { host: '10.0.2.2', dns: '10.0.2.3', device: 'tap0' } as const;

/** IPv4 destinations a child may not reach unless listed in CHILD_ALLOW_NETS. */
export const BLOCKED_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '224.0.0.0/4',
  '240.0.0.0/4',
] as const;

/** IPv6 destinations a child may not reach (slirp4netns gives no IPv6 route by default anyway). */
export const BLOCKED_V6 = ['fc00::/7', 'fe80::/10', 'ff00::/8', '::ffff:0:0/96'] as const;

export interface NetworkRuleSettings {
  /** Host loopback ports children may reach (CHILD_HOST_PORTS). */
  hostPorts: readonly number[];
  /** Networks (CIDR) children may reach despite the blocked ranges (CHILD_ALLOW_NETS). */
  allowNets: readonly string[];
}

/** The nftables table names (one namespace each: they never meet the host's own rules). */
export const TABLES = { filter: 'mcp_child', nat: 'mcp_child_nat' } as const;

const set = (items: readonly (string | number)[]) => `{ ${items.join(', ')} }`;
const isV6 = (cidr: string) => cidr.includes(':');

/** The ruleset (`nft -f -` input) for one child's namespace. */
export function childRuleset(s: NetworkRuleSettings): string {
  const v4Allowed = s.allowNets.filter((n) => !isV6(n));
  const v6Allowed = s.allowNets.filter(isV6);
  const lines = [
    `table inet ${TABLES.filter} {`,
    '  chain out {',
    '    type filter hook output priority 0; policy accept;',
    // The namespace's own addresses are the child's alone: its loopback (after the DNAT below, host ports
    // are not on it) and its tap address, where the resets of refused connections go (10.0.2.100 is in 10/8).
    '    fib daddr type local accept',
    `    ip daddr ${SLIRP.dns} meta l4proto { tcp, udp } th dport 53 accept`,
  ];
  if (s.hostPorts.length > 0) lines.push(`    ip daddr ${SLIRP.host} tcp dport ${set(s.hostPorts)} accept`);
  if (v4Allowed.length > 0) lines.push(`    ip daddr ${set(v4Allowed)} accept`);
  if (v6Allowed.length > 0) lines.push(`    ip6 daddr ${set(v6Allowed)} accept`);
  lines.push(
    `    ip daddr ${SLIRP.host} goto refuse`,
    `    ip daddr ${set(BLOCKED_V4)} goto refuse`,
    `    ip6 daddr ${set(BLOCKED_V6)} goto refuse`,
    '  }',
    // Refused at once (a reset, an ICMP error), not dropped: a server probing a blocked address fails
    // fast instead of hanging on its connect timeout.
    '  chain refuse {',
    '    meta l4proto tcp reject with tcp reset',
    '    reject with icmpx admin-prohibited',
    '  }',
    '}',
  );
  if (s.hostPorts.length > 0)
    lines.push(
      `table ip ${TABLES.nat} {`,
      '  chain out {',
      '    type nat hook output priority -100; policy accept;',
      `    ip daddr 127.0.0.1 tcp dport ${set(s.hostPorts)} dnat to ${SLIRP.host}`,
      '  }',
      '  chain post {',
      '    type nat hook postrouting priority 100; policy accept;',
      // Packets DNATed off loopback still carry 127.0.0.1 as their source: give them the tap address.
      `    ip daddr ${SLIRP.host} oifname "${SLIRP.device}" masquerade`,
      '  }',
      '}',
    );
  return `${lines.join('\n')}\n`;
}
