import { describe, expect, it } from 'vitest';
import { labCommand } from '../../src/cli/lab.js';
import { describeLab, labHost, labSampleConfig, labTopology } from '../../src/lab/index.js';
import { validateConfig } from '../../src/model/validate.js';

// The lab as data: names, addresses and the sample configuration, without building anything.
describe('lab topology', () => {
  it('names every namespace with the prefix and uses documentation addresses only', () => {
    const topology = labTopology();
    expect(topology.hosts.map((h) => h.netns)).toEqual([
      'sluice-lab-client1',
      'sluice-lab-client2',
      'sluice-lab-lb',
      'sluice-lab-alpha',
      'sluice-lab-bravo',
      'sluice-lab-charlie',
    ]);
    expect(topology.stateDir).toBe('/run/sluice-lab');
    const addresses = topology.hosts.flatMap((h) => h.interfaces.flatMap((nic) => nic.addresses));
    expect(new Set(addresses).size).toBe(addresses.length);
    for (const cidr of [...addresses, ...Object.values(topology.vips), topology.natGateway]) {
      expect(cidr).toMatch(/^(192\.0\.2|198\.51\.100)\.\d+(\/\d+)?$/);
    }
  });

  it('keeps switch port names within the kernel limit of 15 characters', () => {
    for (const pair of [false, true]) {
      for (const nic of labTopology({ pair }).hosts.flatMap((h) => h.interfaces)) {
        expect(nic.switchPort.length).toBeLessThanOrEqual(15);
      }
    }
  });

  it('has two balancers with --pair', () => {
    const topology = labTopology({ pair: true, prefix: 'sluice-e2e-' });
    expect(
      topology.hosts.filter((h) => h.role === 'balancer').map((h) => [h.netns, h.interfaces[0]?.addresses]),
    ).toEqual([
      ['sluice-e2e-lb1', ['192.0.2.2/24']],
      ['sluice-e2e-lb2', ['192.0.2.3/24']],
    ]);
  });

  it('refuses a prefix that could make odd names, with LAB_FAILED naming the field', () => {
    for (const prefix of ['Sluice-', 'lab', 'a b-', 'x;rm-', '-lab-']) {
      expect(() => labTopology({ prefix })).toThrow(expect.objectContaining({ code: 'LAB_FAILED', field: 'prefix' }));
    }
  });

  it('names the hosts there are when asked for one that is not', () => {
    expect(() => labHost(labTopology(), 'delta')).toThrow(/no host "delta" in the lab \(hosts: client1, client2, lb/);
  });

  it('offers a sample configuration the appliance accepts, alone and as a pair', () => {
    for (const pair of [false, true]) {
      const result = validateConfig(labSampleConfig(labTopology({ pair })));
      expect(result.errors).toEqual([]);
      expect(result.ok).toBe(true);
    }
    const config = labSampleConfig(labTopology());
    expect(config.layer4?.map((s) => [s.forwarding, s.vip, s.realServers?.map((r) => r.address)])).toEqual([
      ['dr', '192.0.2.100', ['192.0.2.11', '192.0.2.12', '192.0.2.13']],
      ['nat', '192.0.2.101', ['198.51.100.11', '198.51.100.12', '198.51.100.13']],
      ['tun', '192.0.2.102', ['192.0.2.11', '192.0.2.12', '192.0.2.13']],
    ]);
    expect(config.floatingIps).toEqual([{ address: '198.51.100.1/24', interface: 'eth1' }]);
  });

  it('tells a pair how to start the master and the slave', () => {
    const text = describeLab(labTopology({ pair: true }), true);
    expect(text).toContain(
      'ip netns exec sluice-lab-lb1 sluice-appliance serve --data-dir /var/lib/sluice-lab/lb1 --ha-role master --ha-name lb1',
    );
    expect(text).toContain('--ha-role slave --ha-peer lb1@192.0.2.2');
    expect(describeLab(labTopology(), false)).toContain('TUN 192.0.2.102:80   NOT prepared');
  });

  it('answers usage errors with exit status 2', async () => {
    const err: string[] = [];
    const io = { out: () => undefined, err: (text: string) => err.push(text) };
    expect(await labCommand(['cable', 'alpha', 'sideways'], io)).toBe(2);
    expect(await labCommand(['fly'], io)).toBe(2);
    expect(await labCommand(['up', '--bogus'], io)).toBe(2);
    expect(err.join('\n')).toContain('usage: sluice-appliance lab');
  });
});
