/** The child namespace's firewall text and the settings that feed it. */
import { describe, expect, it } from 'vitest';
import { isCidr } from '../../src/config/cidr.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { BLOCKED_V4, BLOCKED_V6, childRuleset } from '../../src/runtime/network-rules.js';

describe('childRuleset', () => {
  it('refuses the host, link-local, private and shared ranges, and keeps DNS through slirp', () => {
    const rules = childRuleset({ hostPorts: [], allowNets: [] });
    for (const net of ['169.254.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'])
      expect(BLOCKED_V4).toContain(net);
    for (const net of ['fc00::/7', 'fe80::/10']) expect(BLOCKED_V6).toContain(net);
    expect(rules).toContain(`ip daddr { ${BLOCKED_V4.join(', ')} } goto refuse`);
    expect(rules).toContain('ip daddr 10.0.2.2 goto refuse');
    expect(rules).toContain('ip daddr 10.0.2.3 meta l4proto { tcp, udp } th dport 53 accept');
    expect(rules).not.toContain('tcp dport {');
    expect(rules).not.toContain('dnat'); // no host port: no NAT table at all
  });

  it('opens listed host ports (as 127.0.0.1 and 10.0.2.2) and networks before any refusal', () => {
    const rules = childRuleset({ hostPorts: [5432, 8080], allowNets: ['10.1.2.0/24', 'fd00:1::/64'] });
    const at = (s: string) => rules.indexOf(s);
    expect(rules).toContain('ip daddr 10.0.2.2 tcp dport { 5432, 8080 } accept');
    expect(rules).toContain('ip daddr 127.0.0.1 tcp dport { 5432, 8080 } dnat to 10.0.2.2');
    expect(rules).toContain('ip daddr { 10.1.2.0/24 } accept');
    expect(rules).toContain('ip6 daddr { fd00:1::/64 } accept');
    expect(at('10.1.2.0/24')).toBeLessThan(at('goto refuse'));
    expect(at('tcp dport { 5432, 8080 } accept')).toBeLessThan(at('ip daddr 10.0.2.2 goto refuse'));
  });
});

describe('network settings', () => {
  it('checks CIDR notation', () => {
    for (const ok of ['10.1.2.0/24', '203.0.113.7', 'fd00::/8', '::1', '2001:db8::/32'])
      expect(isCidr(ok), ok).toBe(true);
    for (const bad of [
      '10.1.2.0/33',
      '300.1.1.1',
      'example.com',
      '10.0.0.0/8/1',
      'fd00::/129',
      '1::2::3',
      '',
    ])
      expect(isCidr(bad), bad).toBe(false);
  });

  it('parses CHILD_NETWORK, CHILD_HOST_PORTS and CHILD_ALLOW_NETS, naming the variable on errors', () => {
    const c = loadConfig({ CHILD_HOST_PORTS: '5432, 8080', CHILD_ALLOW_NETS: '10.1.2.0/24' });
    expect(c.sandbox).toMatchObject({ network: 'auto', hostPorts: [5432, 8080], allowNets: ['10.1.2.0/24'] });
    expect(loadConfig({}).sandbox).toMatchObject({ network: 'auto', hostPorts: [], allowNets: [] });
    expect(() => loadConfig({ CHILD_HOST_PORTS: '99999' })).toThrow(/CHILD_HOST_PORTS/);
    expect(() => loadConfig({ CHILD_HOST_PORTS: 'postgres' })).toThrow(ConfigError);
    expect(() => loadConfig({ CHILD_ALLOW_NETS: 'intranet.example' })).toThrow(/CHILD_ALLOW_NETS/);
    expect(() => loadConfig({ CHILD_NETWORK: 'open' })).toThrow(/CHILD_NETWORK/);
  });
});
