import type { AddressControl, Cidr, FrameSender, InterfaceInfo } from '@sluice/heartbeat';
import { describe, expect, it } from 'vitest';
import { createAddressesDriver } from '../../src/engine/index.js';
import { version } from './fakes.js';

/** The kernel's addresses as a set of `ifname address/prefix`, and the frames sent. */
class FakeAddresses implements AddressControl {
  readonly held = new Set<string>();
  async interfaceInfo(): Promise<InterfaceInfo> {
    return { index: 2, mac: Buffer.from([2, 0, 0, 0, 0, 1]) };
  }
  async add(ifname: string, cidr: Cidr): Promise<'added' | 'present'> {
    const key = `${ifname} ${cidr.address}/${cidr.prefix}`;
    if (this.held.has(key)) return 'present';
    this.held.add(key);
    return 'added';
  }
  async remove(ifname: string, cidr: Cidr): Promise<'removed' | 'absent'> {
    return this.held.delete(`${ifname} ${cidr.address}/${cidr.prefix}`) ? 'removed' : 'absent';
  }
  close(): void {}
}

class FakeSender implements FrameSender {
  readonly frames: string[] = [];
  failing = false;
  async send(ifname: string, frame: Buffer): Promise<void> {
    if (this.failing) throw new Error('the frame helper did not answer');
    this.frames.push(`${ifname} ${frame.length}`);
  }
  async close(): Promise<void> {}
}

function setup() {
  const addresses = new FakeAddresses();
  const sender = new FakeSender();
  const warnings: string[] = [];
  const reads = { count: 0 };
  const list = () => {
    reads.count++;
    return [
      { interface: 'eth0', address: '192.0.2.1', prefix: 24 },
      ...[...addresses.held].map((h) => {
        const [ifname = '', cidr = ''] = h.split(' ');
        const [address = '', prefix = '0'] = cidr.split('/');
        return { interface: ifname, address, prefix: Number(prefix) };
      }),
    ];
  };
  const driver = createAddressesDriver({ addresses, sender, list, isRoot: () => true, warn: (m) => warnings.push(m) });
  return { addresses, sender, driver, reads, warnings };
}

const config = (vips: string[]) =>
  version(1, {
    floatingIps: [{ address: '198.51.100.5/24', interface: 'eth1' }],
    layer4: vips.map((vip, i) => ({ label: `s${i}`, vip, ports: [80], realServers: [] })),
  }).config;
const input = (vips: string[], active = true) => ({
  version: 1,
  config: config(vips),
  server: () => ({ admin: 'online' as const, health: 'unchecked' as const }),
  active,
});

describe('addresses driver', () => {
  it('tells which VIPs and floating IPs no interface holds the network of, without adding any', async () => {
    const { addresses, driver } = setup();
    const source = version(1, {
      floatingIps: [{ address: '203.0.113.5/24' }, { address: '198.51.100.5/24', interface: 'eth1' }],
      layer4: [
        { label: 'in', vip: '192.0.2.10', ports: [80] },
        { label: 'out', vip: '203.0.113.80', ports: [80] },
      ],
    }).config;
    expect(await driver.unplaced(source)).toEqual(['203.0.113.5/24', '203.0.113.80']);
    expect([...addresses.held]).toEqual([]);
  });

  it('does not read the host for a configuration whose addresses it holds already', async () => {
    const { driver, reads } = setup();
    await driver.apply(input(['192.0.2.10']));
    const before = reads.count;
    expect(await driver.unplaced(config(['192.0.2.10']))).toEqual([]);
    expect(reads.count).toBe(before);
    expect(await driver.unplaced(config(['192.0.2.10', '203.0.113.80']))).toEqual(['203.0.113.80']);
    expect(reads.count).toBe(before + 1);
  });

  it('holds floating IPs and VIPs while active, announced; drops what is no longer configured; releases when passive', async () => {
    const { addresses, sender, driver } = setup();
    const first = await driver.apply(input(['192.0.2.10', '192.0.2.11']));
    expect(first.changes).toEqual([
      'addresses: add 198.51.100.5/24 to eth1 (floating IP)',
      'addresses: add 192.0.2.10/24 to eth0 (VIP of layer4 s0)',
      'addresses: add 192.0.2.11/24 to eth0 (VIP of layer4 s1)',
    ]);
    expect([...addresses.held].sort()).toEqual(['eth0 192.0.2.10/24', 'eth0 192.0.2.11/24', 'eth1 198.51.100.5/24']);
    // Announced in the background.
    await driver.announced();
    expect(sender.frames).toHaveLength(3);
    expect((await driver.apply(input(['192.0.2.10', '192.0.2.11']))).changes).toEqual([]);
    expect((await driver.apply(input(['192.0.2.10']))).changes).toEqual(['addresses: remove 192.0.2.11/24 from eth0']);
    const passive = await driver.apply(input(['192.0.2.10'], false));
    expect(passive.changes.sort()).toEqual([
      'addresses: remove 192.0.2.10/24 from eth0',
      'addresses: remove 198.51.100.5/24 from eth1',
    ]);
    expect(addresses.held.size).toBe(0);
  });

  it('names a VIP that no interface network holds, and puts back an address removed out of band', async () => {
    const { addresses, driver } = setup();
    const result = await driver.apply(input(['192.0.2.10', '203.0.113.9']));
    expect(result.detail).toBe('203.0.113.9: no interface holds its network; give it a floating IP with an interface');
    addresses.held.delete('eth0 192.0.2.10/24');
    expect(await driver.drift()).toEqual(['addresses: put back 192.0.2.10/24 on eth0']);
    expect(addresses.held.has('eth0 192.0.2.10/24')).toBe(true);
    expect(await driver.drift()).toEqual([]);
  });

  it('without root the part is unavailable, saying why', async () => {
    const driver = createAddressesDriver({
      addresses: new FakeAddresses(),
      sender: new FakeSender(),
      isRoot: () => false,
    });
    expect(await driver.probe()).toEqual({
      available: false,
      detail: 'floating IPs and VIPs need root (CAP_NET_ADMIN, CAP_NET_RAW)',
    });
  });

  it('a change that moves no address does not place again; a new VIP, a passive node or an unplaced VIP does', async () => {
    const { driver, reads, addresses } = setup();
    const first = input(['192.0.2.10']);
    await driver.apply(first);
    const after = reads.count;
    // A new version with the same VIPs and floating IPs (a weight, a server changed).
    const service = first.config.layer4[0];
    if (!service) throw new Error('fixture');
    const weight = { ...first.config, layer4: [{ ...service, scheduler: 'rr' as const }] };
    expect(await driver.apply({ ...first, config: weight })).toEqual({ changes: [] });
    expect(reads.count).toBe(after);
    const moved = { ...weight, layer4: [{ ...service, vip: '192.0.2.11' }] };
    expect((await driver.apply({ ...first, config: moved })).changes).toEqual([
      'addresses: remove 192.0.2.10/24 from eth0',
      'addresses: add 192.0.2.11/24 to eth0 (VIP of layer4 s0)',
    ]);
    expect(reads.count).toBe(after + 1);
    await driver.apply({ ...first, config: moved, active: false });
    expect(addresses.held.size).toBe(0);
    // A VIP no interface holds is looked for again at every apply.
    const lost = { ...moved, layer4: [{ ...service, vip: '203.0.113.9' }] };
    expect((await driver.apply({ ...first, config: lost })).detail).toContain('203.0.113.9');
    const count = reads.count;
    await driver.apply({ ...first, config: lost });
    expect(reads.count).toBe(count + 1);
  });

  it('a failed announcement is logged at once and is the detail of the next apply, which looks again', async () => {
    const { driver, sender, warnings, reads } = setup();
    sender.failing = true;
    const first = input(['192.0.2.10']);
    expect((await driver.apply(first)).detail).toBeUndefined();
    await driver.announced();
    expect(warnings).toEqual([
      'addresses: 198.51.100.5/24: announcement failed (the frame helper did not answer)',
      'addresses: 192.0.2.10/24: announcement failed (the frame helper did not answer)',
    ]);
    const count = reads.count;
    const next = await driver.apply(first);
    expect(reads.count).toBe(count + 1);
    expect(next.detail).toBe(
      '198.51.100.5/24: announcement failed (the frame helper did not answer); 192.0.2.10/24: announcement failed (the frame helper did not answer)',
    );
    // Told once: the apply after that has nothing to say.
    expect((await driver.apply(first)).detail).toBeUndefined();
  });

  it('announce re-sends the held addresses without adding them; `pending` only those not yet announced', async () => {
    const { driver, sender, addresses } = setup();
    await driver.apply(input(['192.0.2.10']));
    // The announcements of the apply went out: nothing is pending.
    await driver.announce('pending');
    expect(sender.frames).toEqual(['eth1 60', 'eth0 60']);
    await driver.announce('all');
    expect(sender.frames).toEqual(['eth1 60', 'eth0 60', 'eth1 60', 'eth0 60']);
    expect([...addresses.held].sort()).toEqual(['eth0 192.0.2.10/24', 'eth1 198.51.100.5/24']);
    // Passive: nothing held, nothing announced.
    await driver.apply(input(['192.0.2.10'], false));
    await driver.announce('all');
    expect(sender.frames).toHaveLength(4);
  });

  it('an announcement that failed stays pending, and announce rejects naming the address', async () => {
    const { driver, sender } = setup();
    sender.failing = true;
    await driver.apply(input([]));
    await expect(driver.announce('pending')).rejects.toMatchObject({
      code: 'ENGINE_ANNOUNCE_FAILED',
      field: '198.51.100.5/24 on eth1',
      cause: expect.objectContaining({ message: 'the frame helper did not answer' }),
    });
    sender.failing = false;
    await driver.announce('pending');
    expect(sender.frames).toEqual(['eth1 60']);
    await driver.announce('pending');
    expect(sender.frames).toEqual(['eth1 60']);
  });
});

describe('addresses driver in an ECMP cluster', () => {
  const ecmp = (vips: string[]) => ({
    version: 1,
    config: {
      ...config([]),
      floatingIps: [],
      cluster: { mode: 'ecmp' as const, nodes: [], drainSeconds: 10, maxLagSeconds: 30 },
      layer4: vips.map((vip, i) => ({ ...config(['192.0.2.99']).layer4[0], label: `s${i}`, vip })),
    } as ReturnType<typeof config>,
    server: () => ({ admin: 'online' as const, health: 'unchecked' as const }),
    active: true,
  });

  it('puts every VIP on lo as a host address, announces none, and moves them back to the LAN when leaving ECMP', async () => {
    const { addresses, sender, driver } = setup();
    // 203.0.113.80 is in no interface's network: on lo it needs none.
    const result = await driver.apply(ecmp(['192.0.2.10', '203.0.113.80', '2001:db8::10', '192.0.2.10']));
    expect([...addresses.held].sort()).toEqual(['lo 192.0.2.10/32', 'lo 2001:db8::10/128', 'lo 203.0.113.80/32']);
    expect(result.detail).toBeUndefined();
    await driver.announced();
    await driver.announce('all');
    await driver.drift();
    expect(sender.frames).toEqual([]);
    expect(await driver.unplaced(ecmp(['203.0.113.81']).config)).toEqual([]);

    // Pair mode again: the VIP goes on the interface whose network holds it, announced there.
    const back = await driver.apply(input(['192.0.2.10']));
    expect([...addresses.held].sort()).toEqual(['eth0 192.0.2.10/24', 'eth1 198.51.100.5/24']);
    expect(back.changes).toContain('addresses: remove 192.0.2.10/32 from lo');
    await driver.announced();
    expect(sender.frames.map((f) => f.split(' ')[0]).sort()).toEqual(['eth0', 'eth1']);
  });

  it('puts back a VIP removed from lo without announcing it', async () => {
    const { addresses, sender, driver } = setup();
    await driver.apply(ecmp(['192.0.2.10']));
    addresses.held.delete('lo 192.0.2.10/32');
    expect(await driver.drift()).toEqual(['addresses: put back 192.0.2.10/32 on lo']);
    expect([...addresses.held]).toEqual(['lo 192.0.2.10/32']);
    expect(sender.frames).toEqual([]);
  });
});
