import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ArpFixError, formatReport, inspect, LinuxSystem } from '../src/index.js';
import { FakeServer } from './fake-server.js';

let server: FakeServer;
let system: LinuxSystem;

beforeEach(async () => {
  server = await FakeServer.create();
  system = new LinuxSystem({ root: server.root, runner: server.runner });
});
afterEach(() => server.destroy());

describe('inspect (fake tree)', () => {
  it('reports a VIP that is nowhere, with method 2 as the remedy', async () => {
    const report = await inspect(system, { vips: ['192.0.2.10'] });
    expect(report.ok).toBe(false);
    expect(report.netfilter).toBe('nftables');
    const [vip] = report.vips;
    expect(vip?.verdict).toBe('problem');
    expect(vip?.method).toBe('none');
    expect(vip?.findings.map((f) => f.code)).toEqual(['VIP_NOT_ACCEPTED']);
    expect(vip?.findings[0]?.remedy).toEqual([
      'sysctl -w net.ipv4.conf.all.arp_ignore=1',
      'sysctl -w net.ipv4.conf.all.arp_announce=2',
      'sysctl -w net.ipv4.conf.eth0.arp_ignore=1',
      'sysctl -w net.ipv4.conf.eth0.arp_announce=2',
      'ip addr add 192.0.2.10/32 dev lo',
    ]);
  });

  it('finds the classic mistake: VIP on lo with default ARP sysctls', async () => {
    server.addresses.push({ ifname: 'lo', family: 4, local: '192.0.2.10', prefixlen: 32 });
    const [vip] = (await inspect(system, { vips: ['192.0.2.10'] })).vips;
    expect(vip?.method).toBe('arp');
    expect(vip?.findings.map((f) => f.code)).toEqual(['ARP_IGNORE', 'ARP_ANNOUNCE']);
    expect(vip?.arp?.interfaces).toEqual([
      { ifname: 'eth0', arpIgnore: 0, arpAnnounce: 0, effectiveIgnore: 0, effectiveAnnounce: 0 },
    ]);
  });

  it('takes the larger of all and the interface as the effective value', async () => {
    server.addresses.push({ ifname: 'lo', family: 4, local: '192.0.2.10', prefixlen: 32 });
    await server.sysctl('net/ipv4/conf/all/arp_ignore', '1');
    await server.sysctl('net/ipv4/conf/eth0/arp_announce', '2');
    const report = await inspect(system, { vips: ['192.0.2.10'] });
    expect(report.ok).toBe(true);
    expect(report.vips[0]?.arp?.interfaces[0]).toMatchObject({ effectiveIgnore: 1, effectiveAnnounce: 2 });
    expect(formatReport(report)).toContain('192.0.2.10: OK (accepted by: VIP on lo)');
  });

  it('flags a VIP on a real interface and a VIP on lo with a wide prefix', async () => {
    server.addresses.push({ ifname: 'eth0', family: 4, local: '192.0.2.10', prefixlen: 24 });
    server.addresses.push({ ifname: 'lo', family: 4, local: '198.51.100.10', prefixlen: 24 });
    await server.sysctl('net/ipv4/conf/all/arp_ignore', '1');
    await server.sysctl('net/ipv4/conf/all/arp_announce', '2');
    const report = await inspect(system, { vips: ['192.0.2.10', '198.51.100.10'] });
    expect(report.vips[0]?.findings[0]).toMatchObject({
      code: 'VIP_ON_INTERFACE',
      // Method 2 as the manual gives it: `all` and each interface, so eth0's own 0 is raised too.
      remedy: [
        'ip addr del 192.0.2.10/24 dev eth0',
        'sysctl -w net.ipv4.conf.eth0.arp_ignore=1',
        'sysctl -w net.ipv4.conf.eth0.arp_announce=2',
        'ip addr add 192.0.2.10/32 dev lo',
      ],
    });
    expect(report.vips[1]?.findings[0]).toMatchObject({
      code: 'VIP_PREFIX',
      remedy: ['ip addr del 198.51.100.10/24 dev lo', 'ip addr add 198.51.100.10/32 dev lo'],
    });
  });

  it('accepts a redirect rule as method 1, and then needs a listener on all addresses', async () => {
    server.nftTable = true;
    server.nftRules.push({ daddr: '192.0.2.10', handle: 4 });
    await server.tcp([['192.0.2.10', 80]], []);
    const report = await inspect(system, { vips: [{ address: '192.0.2.10', ports: [80] }] });
    const vip = report.vips[0];
    expect(vip?.method).toBe('redirect');
    expect(vip?.redirects).toHaveLength(1);
    expect(vip?.findings.map((f) => f.code)).toEqual(['NO_LISTENER']);
    await server.tcp([['0.0.0.0', 80]], []);
    expect((await inspect(system, { vips: [{ address: '192.0.2.10', ports: [80] }] })).ok).toBe(true);
  });

  it('reads iptables-legacy rules when the host uses them', async () => {
    server.netfilter = 'legacy';
    server.iptablesRules.push('-d 192.0.2.10/32 -p tcp -j REDIRECT');
    const report = await inspect(system, { vips: ['192.0.2.10'] });
    expect(report.netfilter).toBe('iptables');
    expect(report.vips[0]?.method).toBe('redirect');
  });

  it('checks IPv6 VIPs without ARP sysctls, and listeners on the VIP or ::', async () => {
    server.addresses.push({ ifname: 'lo', family: 6, local: '2001:db8::10', prefixlen: 128 });
    // 2001:db8::10 in /proc/net/tcp6 notation (four host-order words).
    await server.tcp([], [['B80D0120000000000000000010000000', 443]]);
    const report = await inspect(system, { vips: [{ address: '2001:DB8:0::10', ports: [443, 80] }] });
    const vip = report.vips[0];
    expect(vip?.vip).toBe('2001:db8::10');
    expect(vip?.arp).toBeUndefined();
    expect(vip?.ports).toEqual([
      { port: 443, listening: true, on: ['[2001:db8::10]:443'] },
      { port: 80, listening: false, on: [] },
    ]);
    expect(vip?.findings.map((f) => f.code)).toEqual(['NO_LISTENER']);
  });

  it('rejects bad VIPs and ports with the field at fault, before reading anything', async () => {
    const bad = async (vips: unknown[]) => {
      try {
        await inspect(system, { vips: vips as string[] });
      } catch (error) {
        return error as ArpFixError;
      }
      throw new Error('accepted');
    };
    expect(await bad(['192.0.2.10', '192.0.2.300'])).toMatchObject({ code: 'ARPFIX_INVALID_FIELD', field: 'vips[1]' });
    expect(await bad(['192.0.2.10/32'])).toMatchObject({ field: 'vips[0]' });
    expect(await bad(['192.0.2.10; reboot'])).toMatchObject({ field: 'vips[0]' });
    expect(await bad([{ address: '192.0.2.1', ports: [80, 70000] }])).toMatchObject({ field: 'vips[0].ports[1]' });
    expect(server.calls).toEqual([]);
  });
});
