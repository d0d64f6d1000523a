import { describe, expect, it } from 'vitest';
import { type AddressControl, type Cidr, parseCidr } from '../src/addresses.js';
import { FloatingIp } from '../src/floating-ip.js';
import type { FrameSender } from '../src/frame-sender.js';

class FakeAddresses implements AddressControl {
  readonly present = new Set<string>();
  readonly calls: string[] = [];
  async interfaceInfo(_ifname: string) {
    return { index: 2, mac: Buffer.from('02aabbccdd01', 'hex') };
  }
  async add(ifname: string, cidr: Cidr) {
    const key = `${cidr.address}/${cidr.prefix}@${ifname}`;
    this.calls.push(`add ${key}`);
    if (this.present.has(key)) return 'present' as const;
    this.present.add(key);
    return 'added' as const;
  }
  async remove(ifname: string, cidr: Cidr) {
    const key = `${cidr.address}/${cidr.prefix}@${ifname}`;
    this.calls.push(`remove ${key}`);
    return this.present.delete(key) ? ('removed' as const) : ('absent' as const);
  }
  close() {}
}

class FakeSender implements FrameSender {
  readonly frames: { ifname: string; frame: Buffer }[] = [];
  async send(ifname: string, frame: Buffer) {
    this.frames.push({ ifname, frame });
  }
  async close() {}
}

describe('FloatingIp', () => {
  it('adds, announces with a gratuitous ARP, and removes an IPv4 address', async () => {
    const addresses = new FakeAddresses();
    const sender = new FakeSender();
    const vip = new FloatingIp({ address: '192.0.2.100/24', interface: 'eth0' }, { addresses, sender });
    expect(vip.name).toBe('ip 192.0.2.100/24 on eth0');
    await vip.acquire();
    await vip.acquire(); // already there: fine (a restart after a crash)
    await vip.announce('acquired');
    await vip.release();
    await vip.release();
    expect(addresses.calls).toEqual([
      'add 192.0.2.100/24@eth0',
      'add 192.0.2.100/24@eth0',
      'remove 192.0.2.100/24@eth0',
      'remove 192.0.2.100/24@eth0',
    ]);
    expect(sender.frames).toHaveLength(1);
    expect(sender.frames[0]?.ifname).toBe('eth0');
    expect(sender.frames[0]?.frame.readUInt16BE(12)).toBe(0x0806);
  });

  it('announces an IPv6 address with a neighbour advertisement', async () => {
    const sender = new FakeSender();
    const vip = new FloatingIp(
      { address: '2001:db8::100/64', interface: 'eth1' },
      { addresses: new FakeAddresses(), sender },
    );
    await vip.announce('split-brain-recovered');
    expect(sender.frames[0]?.frame.readUInt16BE(12)).toBe(0x86dd);
    expect(sender.frames[0]?.frame[54]).toBe(136);
  });

  it('rejects bad addresses and interface names with the field at fault', () => {
    const deps = { addresses: new FakeAddresses(), sender: new FakeSender() };
    expect(() => new FloatingIp({ address: '192.0.2.300/24', interface: 'eth0' }, deps, 'floatingIps[1]')).toThrow(
      expect.objectContaining({ code: 'HEARTBEAT_INVALID_CONFIG', field: 'floatingIps[1].address' }),
    );
    expect(() => new FloatingIp({ address: '192.0.2.1', interface: 'eth0' }, deps)).toThrow(
      expect.objectContaining({ field: 'floatingIps[0].address' }),
    );
    expect(() => new FloatingIp({ address: '192.0.2.1/24', interface: 'eth0; reboot' }, deps)).toThrow(
      expect.objectContaining({ field: 'floatingIps[0].interface' }),
    );
  });

  it('parses CIDRs strictly', () => {
    expect(parseCidr('2001:db8::1/128', 'x')).toEqual({ address: '2001:db8::1', prefix: 128, family: 6 });
    for (const bad of ['192.0.2.1/33', '192.0.2.1/', '192.0.2.1/2/3', 'host/24', '2001:db8::1/129', 5]) {
      expect(() => parseCidr(bad, 'x')).toThrow(expect.objectContaining({ code: 'HEARTBEAT_INVALID_CONFIG' }));
    }
  });
});
