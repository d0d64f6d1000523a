import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ArpFixError, apply, inspect, LinuxSystem, revert } from '../src/index.js';
import { FakeServer } from './fake-server.js';

let server: FakeServer;
let system: LinuxSystem;

beforeEach(async () => {
  server = await FakeServer.create(['eth0', 'eth1.100', 'lo']);
  system = new LinuxSystem({ root: server.root, runner: server.runner });
});
afterEach(() => server.destroy());

const sysctl = (path: string) => readFile(join(server.root, 'proc/sys', path), 'utf8');

async function rejection(promise: Promise<unknown>): Promise<ArpFixError> {
  try {
    await promise;
  } catch (error) {
    return error as ArpFixError;
  }
  throw new Error('resolved');
}

describe('apply and revert (fake tree)', () => {
  it('method 2 raises the ARP sysctls, adds the VIPs on lo, and inspect is then clean', async () => {
    await server.sysctl('net/ipv4/conf/eth0/arp_announce', '2');
    const record = await apply(system, { vips: ['192.0.2.10', '2001:db8::10'], method: 'arp' });
    expect(record.changes).toEqual([
      { kind: 'sysctl', path: 'net/ipv4/conf/all/arp_ignore', before: '0', after: '1' },
      { kind: 'sysctl', path: 'net/ipv4/conf/all/arp_announce', before: '0', after: '2' },
      { kind: 'sysctl', path: 'net/ipv4/conf/eth0/arp_ignore', before: '0', after: '1' },
      { kind: 'sysctl', path: 'net/ipv4/conf/eth1.100/arp_ignore', before: '0', after: '1' },
      { kind: 'sysctl', path: 'net/ipv4/conf/eth1.100/arp_announce', before: '0', after: '2' },
      { kind: 'address', op: 'add', ifname: 'lo', address: '192.0.2.10', prefix: 32 },
      { kind: 'address', op: 'add', ifname: 'lo', address: '2001:db8::10', prefix: 128 },
    ]);
    expect(server.calls).toContainEqual(['ip', 'addr', 'add', '2001:db8::10/128', 'dev', 'lo']);
    expect(await sysctl('net/ipv4/conf/eth1.100/arp_ignore')).toBe('1\n');
    expect((await inspect(system, { vips: ['192.0.2.10', '2001:db8::10'] })).ok).toBe(true);
    // A second apply finds nothing to do.
    expect((await apply(system, { vips: ['192.0.2.10', '2001:db8::10'] })).changes).toEqual([]);

    await revert(system, record);
    expect(await sysctl('net/ipv4/conf/all/arp_ignore')).toBe('0\n');
    expect(await sysctl('net/ipv4/conf/eth0/arp_announce')).toBe('2\n');
    expect(server.addresses).toEqual([{ ifname: 'lo', family: 4, local: '127.0.0.1', prefixlen: 8 }]);
  });

  it('moves a VIP off a real interface and puts it back on revert', async () => {
    server.addresses.push({ ifname: 'eth0', family: 4, local: '192.0.2.10', prefixlen: 24 });
    const record = await apply(system, { vips: ['192.0.2.10'] });
    expect(record.changes).toContainEqual({
      kind: 'address',
      op: 'del',
      ifname: 'eth0',
      address: '192.0.2.10',
      prefix: 24,
    });
    await revert(system, record);
    expect(server.addresses).toContainEqual({ ifname: 'eth0', family: 4, local: '192.0.2.10', prefixlen: 24 });
    expect(server.addresses.filter((a) => a.local === '192.0.2.10')).toHaveLength(1);
  });

  it('refuses a tampered record that would pass other arguments to ip', async () => {
    const record = {
      version: 1 as const,
      operation: 'apply' as const,
      method: 'arp' as const,
      vips: ['192.0.2.10'],
      at: '2026-01-01T00:00:00.000Z',
      changes: [
        {
          kind: 'address' as const,
          op: 'del' as const,
          ifname: 'eth0',
          address: '192.0.2.10',
          prefix: 24,
          extra: ['netns', 'x'],
        },
      ],
    };
    expect(await rejection(revert(system, record))).toMatchObject({ code: 'ARPFIX_INVALID_FIELD', field: 'extra' });
    expect(server.calls.filter((c) => c[0] === 'ip')).toEqual([]);
  });

  it('refuses to revert a sysctl someone changed since, unless forced', async () => {
    const record = await apply(system, { vips: ['192.0.2.10'] });
    await server.sysctl('net/ipv4/conf/all/arp_ignore', '2');
    expect(await rejection(revert(system, record))).toMatchObject({
      code: 'ARPFIX_REVERT_CONFLICT',
      field: 'changes[0]',
    });
    expect(server.addresses.some((a) => a.local === '192.0.2.10')).toBe(true);
    await revert(system, record, { force: true });
    expect(await sysctl('net/ipv4/conf/all/arp_ignore')).toBe('0\n');
  });

  it('method 1 adds an nftables redirect in its own table and reverts it by handle', async () => {
    const record = await apply(system, { vips: ['192.0.2.10', '192.0.2.11'], method: 'redirect' });
    expect(record.changes).toEqual([
      { kind: 'nft-table', family: 'ip', table: 'sluice_arp_fix' },
      { kind: 'nft-rule', family: 'ip', table: 'sluice_arp_fix', chain: 'prerouting', handle: 2 },
      { kind: 'nft-rule', family: 'ip', table: 'sluice_arp_fix', chain: 'prerouting', handle: 3 },
    ]);
    expect(server.calls).toContainEqual([
      'nft',
      '--echo',
      '--handle',
      'add',
      'rule',
      'ip',
      'sluice_arp_fix',
      'prerouting',
      'ip',
      'daddr',
      '192.0.2.10',
      'meta',
      'l4proto',
      'tcp',
      'redirect',
      'comment',
      '"sluice-arp-fix"',
    ]);
    const report = await inspect(system, { vips: ['192.0.2.10', '192.0.2.11'] });
    expect(report.vips.map((v) => v.method)).toEqual(['redirect', 'redirect']);
    await revert(system, record);
    expect(server.nftTable).toBe(false);
  });

  it('method 1 uses iptables on an iptables-legacy host', async () => {
    server.netfilter = 'legacy';
    const record = await apply(system, { vips: ['192.0.2.10'], method: 'redirect' });
    expect(server.iptablesRules).toEqual(['-d 192.0.2.10/32 -p tcp -j REDIRECT']);
    await revert(system, record);
    expect(server.iptablesRules).toEqual([]);
  });

  it('refuses method 1 for IPv6 VIPs and IP-based virtual hosting, with a code and the field', async () => {
    expect(await rejection(apply(system, { vips: ['192.0.2.10', '2001:db8::10'], method: 'redirect' }))).toMatchObject({
      code: 'ARPFIX_METHOD_REFUSED',
      field: 'vips[1]',
    });
    expect(
      await rejection(apply(system, { vips: ['192.0.2.10'], method: 'redirect', ipBasedVirtualHosting: true })),
    ).toMatchObject({ code: 'ARPFIX_METHOD_REFUSED', field: 'ipBasedVirtualHosting' });
    await server.tcp([['192.0.2.10', 443]], []);
    expect(await rejection(apply(system, { vips: ['192.0.2.10'], method: 'redirect' }))).toMatchObject({
      code: 'ARPFIX_METHOD_REFUSED',
      field: 'vips[0]',
    });
    expect(server.calls.filter((c) => c[0] === 'nft' && c[1] !== '-j' && c[1] !== '--version')).toEqual([]);
  });

  it('rejects a bad interface name in a namespace option and bad methods', async () => {
    expect(() => new LinuxSystem({ netns: 'x; rm -rf /' })).toThrow(expect.objectContaining({ field: 'netns' }));
    expect(await rejection(apply(system, { vips: ['192.0.2.10'], method: 'tunnel' as 'arp' }))).toMatchObject({
      code: 'ARPFIX_INVALID_FIELD',
      field: 'method',
    });
  });
});
