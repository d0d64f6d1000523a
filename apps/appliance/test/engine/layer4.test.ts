import type { IpvsClient } from '@sluice/ipvs';
import { destinationId, IpvsError, serviceId } from '@sluice/ipvs';
import { describe, expect, it } from 'vitest';
import { ARP_HINT, createLayer4Driver, type Layer4DriverOptions } from '../../src/engine/index.js';
import { desiredLayer4, sameValue } from '../../src/engine/layer4/desired.js';
import type { AdminState, RealServerRef } from '../../src/model/admin-state.js';
import type { HealthState } from '../../src/model/engine-status.js';
import { ecmpConfig } from '../fixtures/ecmp-config.js';
import { FakeIpvs } from './fake-ipvs.js';
import { pairHeartbeat, twoServices, version } from './fakes.js';

type States = Record<string, { admin?: AdminState; health?: HealthState }>;
const stateFn = (states: States) => (ref: RealServerRef) => ({
  admin: states[ref.server]?.admin ?? 'online',
  health: states[ref.server]?.health ?? 'unchecked',
});
const input = (n: number, states: States = {}, scope?: { layer: 'layer4'; service: string }[]) => ({
  version: n,
  config: version(n, twoServices()).config,
  server: stateFn(states),
  ...(scope ? { scope } : {}),
});

describe('layer4 desired state', () => {
  const weights = (states: States) =>
    desiredLayer4(version(1, twoServices()).config, stateFn(states)).services[0]?.destinations.map((d) => [
      destinationId(d),
      d.weight,
      d.forwarding,
    ]);

  it('configured weight online; drain and health down 0; offline removed; all down: the fallback', () => {
    expect(weights({})).toEqual([
      ['198.51.100.11:8080', 3, 'nat'],
      ['198.51.100.12:8080', 1, 'nat'],
    ]);
    expect(weights({ alpha: { admin: 'drain' }, bravo: { health: 'down' } })).toEqual([
      ['198.51.100.11:8080', 0, 'nat'],
      ['198.51.100.12:8080', 0, 'nat'],
      ['192.0.2.200:8080', 1, 'nat'],
    ]);
    expect(weights({ alpha: { admin: 'offline' } })).toEqual([['198.51.100.12:8080', 1, 'nat']]);
    expect(weights({ alpha: { admin: 'offline' }, bravo: { health: 'down' } })).toEqual([
      ['198.51.100.12:8080', 0, 'nat'],
      ['192.0.2.200:8080', 1, 'nat'],
    ]);
  });

  it('ports lists and ranges are one service each; both is TCP and UDP; a DR fallback on another port is NAT', () => {
    const config = version(1, {
      layer4: [
        {
          label: 'multi',
          vip: '2001:db8::10',
          ports: [53, { from: 8000, to: 8002 }],
          protocol: 'both',
          forwarding: 'dr',
          fallback: { address: '2001:db8::99', port: 9000 },
          realServers: [{ label: 'a', address: '2001:db8::21' }],
        },
        {
          label: 'all',
          vip: '192.0.2.20',
          ports: [{ from: 1, to: 65535 }],
          persistence: { timeoutSeconds: 600, granularity: 24 },
          realServers: [{ label: 'a', address: '192.0.2.21' }],
        },
        {
          label: 'mark',
          vip: '192.0.2.30',
          protocol: 'fwmark',
          fwmark: 7,
          realServers: [{ label: 'a', address: '192.0.2.31' }],
        },
      ],
    }).config;
    const d = desiredLayer4(config, stateFn({ a: { health: 'down' } }));
    expect(d.services.map((s) => serviceId(s))).toEqual([
      'tcp [2001:db8::10]:53',
      'tcp [2001:db8::10]:8000',
      'tcp [2001:db8::10]:8001',
      'tcp [2001:db8::10]:8002',
      'udp [2001:db8::10]:53',
      'udp [2001:db8::10]:8000',
      'udp [2001:db8::10]:8001',
      'udp [2001:db8::10]:8002',
      'tcp 192.0.2.20:0',
      'fwm 7 v4',
    ]);
    expect(d.services[1]?.destinations).toEqual([
      { address: '2001:db8::21', port: 8000, forwarding: 'dr', weight: 0, upperThreshold: 0, lowerThreshold: 0 },
      { address: '2001:db8::99', port: 9000, forwarding: 'nat', weight: 1 },
    ]);
    expect(d.services[8]).toMatchObject({ persistence: { timeout: 600, netmask: 24 }, port: 0 });
    expect(d.owners.get('tcp [2001:db8::10]:8001 [2001:db8::21]:8001')).toEqual({
      layer: 'layer4',
      service: 'multi',
      server: 'a',
    });
  });

  it('refuses a range of more ports than it will make services for, naming the field', () => {
    const config = version(1, {
      layer4: [{ label: 'wide', vip: '192.0.2.20', ports: [{ from: 1000, to: 3000 }], realServers: [] }],
    }).config;
    expect(() => desiredLayer4(config, stateFn({}))).toThrow(
      expect.objectContaining({ code: 'ENGINE_APPLY_FAILED', field: 'layer4[0].ports' }),
    );
  });
});

describe('layer4 driver (fake IPVS table)', () => {
  it('is unavailable, with the reason and the fix, on a kernel without IPVS or without privilege', async () => {
    const noIpvs = createLayer4Driver({
      open: async () => {
        throw new IpvsError('IPVS_UNAVAILABLE', 'this kernel has no IPVS: load it with `modprobe ip_vs`');
      },
    });
    expect(await noIpvs.probe()).toEqual({
      available: false,
      detail: 'IPVS: this kernel has no IPVS: load it with `modprobe ip_vs`',
    });
    const notRoot = createLayer4Driver({
      open: async () => {
        throw new IpvsError('IPVS_PERMISSION', 'operation not permitted');
      },
    });
    expect(await notRoot.probe()).toEqual({
      available: false,
      detail: 'IPVS: operation not permitted (run the appliance as root or with CAP_NET_ADMIN)',
    });
  });

  async function driverWith(fake: FakeIpvs, options: Omit<Layer4DriverOptions, 'open'> = {}) {
    const driver = createLayer4Driver({ ...options, open: async () => fake as unknown as IpvsClient });
    expect(await driver.probe()).toEqual({ available: true });
    return driver;
  }

  it('programs the table, then a weight change or a drain is one edit of one destination', async () => {
    const fake = new FakeIpvs();
    const driver = await driverWith(fake);
    const first = await driver.apply(input(1));
    expect(first.changes).toHaveLength(5);
    expect(first.changes[0]).toBe('layer4: + TCP 192.0.2.10:80 wlc');
    fake.sent.length = 0;
    const drain = await driver.apply(input(2, { alpha: { admin: 'drain' } }, [{ layer: 'layer4', service: 'web' }]));
    expect(fake.sent).toEqual([
      {
        op: 'edit-destination',
        service: { protocol: 'tcp', address: '192.0.2.10', port: 80 },
        destination: {
          address: '198.51.100.11',
          port: 8080,
          forwarding: 'nat',
          weight: 0,
          upperThreshold: 0,
          lowerThreshold: 0,
        },
      },
    ]);
    expect(drain.changes).toEqual(['layer4: ~ tcp 192.0.2.10:80 -> 198.51.100.11:8080 (weight 3 -> 0)']);
    // Offline (which shares its first letter with online) removes the destination.
    fake.sent.length = 0;
    await driver.apply(input(3, { alpha: { admin: 'offline' } }, [{ layer: 'layer4', service: 'web' }]));
    expect(fake.sent.map((o) => o.op)).toEqual(['delete-destination']);
    await driver.apply(input(3, { alpha: { admin: 'drain' } }, [{ layer: 'layer4', service: 'web' }]));
    // A full apply finds nothing more to do: the scoped one kept its model in step.
    fake.sent.length = 0;
    expect((await driver.apply(input(3, { alpha: { admin: 'drain' } }))).changes).toEqual([]);
    expect(fake.sent).toEqual([]);
    // The table was read once, at the first apply; after that the driver plans against what it applied.
    expect(fake.lists).toBe(1);
  });

  it('reads the kernel again after a first apply whose own table needed no wait (the reading does not stay "in progress")', async () => {
    const fake = new FakeIpvs();
    const driver = await driverWith(fake, { observeMaxAgeMs: 0 });
    await driver.apply(input(1));
    expect(fake.lists).toBe(1);
    // Right after the first apply: from the table it read, without a dump (no await at all).
    await driver.observe({ afterApply: true });
    expect(fake.lists).toBe(1);
    // Any later observation reads the kernel, and the table it hands to /metrics is that one.
    await driver.observe();
    expect(fake.lists).toBe(2);
    expect(driver.lastTable()?.[0]?.destinations.length).toBeGreaterThan(0);
    await driver.observe();
    expect(fake.lists).toBe(3);
  });

  it('ECMP sets net.ipv4.vs.sloppy_tcp to 1 in its namespace, once; leaving ECMP puts back the value it found', async () => {
    const fake = new FakeIpvs();
    const values = new Map([['net.ipv4.vs.sloppy_tcp', '0']]);
    const writes: string[] = [];
    const sysctl = {
      read: async (name: string) => values.get(name) ?? '',
      write: async (name: string, value: string) => {
        writes.push(`${name}=${value}`);
        values.set(name, value);
      },
    };
    const driver = await driverWith(fake, { sysctl });
    // Pair mode never reads it.
    await driver.apply(input(1));
    expect(writes).toEqual([]);
    const ecmp = (n: number) => ({ ...input(n), config: version(n, ecmpConfig()).config });
    const first = await driver.apply(ecmp(2));
    expect(first.changes[0]).toBe(
      'layer4: set net.ipv4.vs.sloppy_tcp=1 (ECMP: a node takes over connections another node started)',
    );
    expect(writes).toEqual(['net.ipv4.vs.sloppy_tcp=1']);
    expect((await driver.apply(ecmp(3))).changes).toEqual([]);
    expect(writes).toHaveLength(1);
    const back = await driver.apply(input(4));
    expect(back.changes[0]).toBe('layer4: set net.ipv4.vs.sloppy_tcp=0 (as before the ECMP cluster)');
    expect(values.get('net.ipv4.vs.sloppy_tcp')).toBe('0');
  });

  it('ECMP: a sloppy_tcp that cannot be written fails the apply, and the next apply tries again', async () => {
    const fake = new FakeIpvs();
    let failing = true;
    const sysctl = {
      read: async () => '0',
      write: async () => {
        if (failing) throw new Error('EACCES');
      },
    };
    const driver = await driverWith(fake, { sysctl });
    const ecmp = (n: number) => ({ ...input(n), config: version(n, ecmpConfig()).config });
    await expect(driver.apply(ecmp(1))).rejects.toMatchObject({
      code: 'ENGINE_APPLY_FAILED',
      message: 'net.ipv4.vs.sloppy_tcp: EACCES',
    });
    failing = false;
    expect((await driver.apply(ecmp(2))).changes[0]).toMatch(/^layer4: set net\.ipv4\.vs\.sloppy_tcp=1 /);
  });

  it('owns the whole table: a service nobody declared is removed; drift puts back what ipvsadm changed', async () => {
    const fake = new FakeIpvs();
    await fake.execute([{ op: 'add-service', service: { protocol: 'tcp', address: '192.0.2.99', port: 22 } }]);
    const driver = await driverWith(fake);
    const first = await driver.apply(input(1));
    expect(first.changes).toContain('layer4: - tcp 192.0.2.99:22');
    expect(await driver.drift()).toEqual([]);
    await fake.execute([
      {
        op: 'delete-destination',
        service: { protocol: 'tcp', address: '192.0.2.10', port: 80 },
        destination: { address: '198.51.100.12', port: 8080 },
      },
      {
        op: 'add-destination',
        service: { protocol: 'udp', address: '192.0.2.11', port: 53 },
        destination: { address: '192.0.2.54', port: 53 },
      },
    ]);
    expect(await driver.drift()).toEqual([
      'layer4: + tcp 192.0.2.10:80 -> 198.51.100.12:8080 nat weight 1',
      'layer4: - udp 192.0.2.11:53 -> 192.0.2.54:53',
    ]);
    expect(await driver.drift()).toEqual([]);
  });

  it('after the first apply, observes from the dump that apply read, without a second one', async () => {
    const fake = new FakeIpvs();
    const driver = await driverWith(fake);
    await driver.apply(input(1));
    expect(fake.lists).toBe(1);
    const seen = await driver.observe({ afterApply: true });
    expect(fake.lists).toBe(1);
    expect(seen.get('layer4/web/alpha')?.effectiveWeight).toBe(3);
  });

  it('keeps the whole table it last read, per destination with its counters (for /metrics)', async () => {
    const fake = new FakeIpvs();
    const driver = await driverWith(fake, { observeMaxAgeMs: 0 });
    expect(driver.lastTable()).toBeUndefined();
    await driver.apply(input(1));
    await driver.observe();
    const lists = fake.lists;
    const table = driver.lastTable();
    const web = table?.find((s) => s.address === '192.0.2.10' && s.port === 80);
    expect(web?.destinations.map((d) => [d.address, d.port, d.weight, d.activeConnections, d.stats.inBytes])).toEqual([
      ['198.51.100.11', 8080, 3, 2, 10n],
      ['198.51.100.12', 8080, 1, 2, 10n],
    ]);
    // Handed over as read: asking for it reads nothing.
    driver.lastTable();
    expect(fake.lists).toBe(lists);
  });

  it('observes per real server; SYN_RECV rows carry the ARP hint on DR services only', async () => {
    const fake = new FakeIpvs();
    // Every observation a fresh dump: the counters are the fake kernel's.
    const driver = await driverWith(fake, { observeMaxAgeMs: 0 });
    await driver.apply(input(1));
    const seen = await driver.observe();
    expect(seen.get('layer4/web/alpha')).toEqual({
      activeConnections: 2,
      inactiveConnections: 1,
      bytesIn: 10,
      bytesOut: 20,
      effectiveWeight: 3,
    });
    const [row] = await driver.connections();
    // web is NAT: SYN_RECV there is not the DR ARP problem.
    expect(row).toEqual({
      protocol: 'tcp',
      client: '203.0.113.5:40000',
      virtual: '192.0.2.10:80',
      destination: '198.51.100.11:8080',
      state: 'SYN_RECV',
      expiresSeconds: 50,
      synRecv: true,
    });
    const dr = twoServices();
    const web = dr.layer4?.[0];
    if (!web) throw new Error('fixture');
    web.forwarding = 'dr';
    for (const r of web.realServers ?? []) delete r.port;
    delete web.fallback;
    await driver.apply({ ...input(2), config: version(2, dr).config });
    const [drRow] = await driver.connections();
    expect(drRow?.hint).toBe(ARP_HINT);
  });

  it('right after an apply, observes what it applied from the last reading, without reading the table again', async () => {
    const fake = new FakeIpvs();
    const driver = await driverWith(fake, { observeMaxAgeMs: 0 });
    await driver.apply(input(1));
    expect((await driver.observe()).get('layer4/web/alpha')?.effectiveWeight).toBe(3);
    const lists = fake.lists;
    await driver.apply(input(2, { alpha: { admin: 'drain' }, bravo: { admin: 'offline' } }));
    // A copy: the view is the driver's own and follows later readings.
    const after = new Map((await driver.observe({ afterApply: true })).entries());
    expect(fake.lists).toBe(lists);
    // The new weight, the counters of the reading; an offline server is gone.
    expect(after.get('layer4/web/alpha')).toEqual({
      activeConnections: 2,
      inactiveConnections: 1,
      bytesIn: 10,
      bytesOut: 20,
      effectiveWeight: 0,
    });
    expect(after.has('layer4/web/bravo')).toBe(false);
    expect(after.get('layer4/dns/charlie')?.effectiveWeight).toBe(1);
    // An ordinary observation (the timer's) reads the kernel, which agrees.
    const read = new Map((await driver.observe()).entries());
    expect(fake.lists).toBe(lists + 1);
    expect(read).toEqual(after);
  });

  it('an apply replaces only its services in the observations: a server on two ports is summed once, a dropped service is gone', async () => {
    const fake = new FakeIpvs();
    const driver = await driverWith(fake, { observeMaxAgeMs: 0 });
    const twoPorts = twoServices();
    const web = twoPorts.layer4?.[0];
    if (!web) throw new Error('fixture');
    web.ports = [80, 443];
    await driver.apply({ ...input(1), config: version(1, twoPorts).config });
    const read = await driver.observe();
    // Two IPVS services (80, 443), each destination with 2 active, 1 inactive, 10/20 bytes (the fake's).
    expect(read.get('layer4/web/alpha')).toEqual({
      activeConnections: 4,
      inactiveConnections: 2,
      bytesIn: 20,
      bytesOut: 40,
      effectiveWeight: 3,
    });
    const charlie = read.get('layer4/dns/charlie');
    const lists = fake.lists;
    const changed = structuredClone(twoPorts);
    const alpha = changed.layer4?.[0]?.realServers?.[0];
    if (!alpha) throw new Error('fixture');
    alpha.weight = 5;
    changed.layer4 = changed.layer4?.slice(0, 1);
    await driver.apply({ ...input(2), config: version(2, changed).config });
    const after = await driver.observe({ afterApply: true });
    expect(fake.lists).toBe(lists);
    // The new weight; the counters carried once, not once per port.
    expect(after.get('layer4/web/alpha')).toEqual({
      activeConnections: 4,
      inactiveConnections: 2,
      bytesIn: 20,
      bytesOut: 40,
      effectiveWeight: 5,
    });
    expect(charlie).toBeDefined();
    expect(after.get('layer4/dns/charlie')).toBeUndefined();
    const folded = new Map(after.entries());
    expect([...folded.keys()].sort()).toEqual(['layer4/web/alpha', 'layer4/web/bravo']);
    // A reading agrees with what the apply folded in.
    expect(new Map((await driver.observe()).entries())).toEqual(folded);
    expect(fake.lists).toBe(lists + 1);
  });

  it('after a first apply, the status is folded in slices from the table it read, pausing between them', async () => {
    const fake = new FakeIpvs();
    let pauses = 0;
    const driver = await driverWith(fake, {
      pause: async () => {
        pauses++;
      },
    });
    const many = {
      layer4: Array.from({ length: 120 }, (_, i) => ({
        label: `s${i}`,
        vip: `192.0.2.${(i % 250) + 1}`,
        ports: [1000 + i],
        realServers: [{ label: 'r', address: '198.51.100.1', weight: 2 }],
      })),
    };
    await driver.apply({ ...input(1), config: version(1, many).config });
    expect(pauses).toBe(0);
    const seen = await driver.observe({ afterApply: true });
    expect(pauses).toBe(2);
    expect(fake.lists).toBe(1);
    expect(seen.get('layer4/s119/r')?.effectiveWeight).toBe(2);
    expect([...seen.values()]).toHaveLength(120);
  });

  it('a large apply lists its first 200 changes and counts them all', async () => {
    const fake = new FakeIpvs();
    const driver = await driverWith(fake);
    const many = {
      layer4: Array.from({ length: 30 }, (_, i) => ({
        label: `s${i}`,
        vip: `192.0.2.${i + 1}`,
        ports: [80],
        realServers: Array.from({ length: 10 }, (_, j) => ({ label: `r${j}`, address: `198.51.100.${j + 1}` })),
      })),
    };
    const result = await driver.apply({ ...input(1), config: version(1, many).config });
    // 30 services and 300 real servers.
    expect(result.count).toBe(330);
    expect(result.changes).toHaveLength(200);
    expect(result.changes[0]).toBe('layer4: + TCP 192.0.2.1:80 wlc');
    expect(fake.table.size).toBe(30);
  });

  it('the sync daemon follows the role: an apply with no service in scope swaps it without touching a service', async () => {
    const fake = new FakeIpvs();
    const warnings: string[] = [];
    const driver = await driverWith(fake, { warn: (message) => warnings.push(message) });
    const config = version(1, { ...twoServices(), ...pairHeartbeat({ interface: 'eth1', syncId: 9 }) }).config;
    const passive = await driver.apply({ ...input(1), config, active: false });
    expect(passive.changes[0]).toBe('layer4: + connection sync backup on eth1 (sync id 9)');
    expect(driver.connectionSync()).toEqual({ state: 'backup', interface: 'eth1', syncId: 9 });
    fake.sent.length = 0;
    const takeover = await driver.apply({ ...input(1), config, active: true, scope: [] });
    expect(takeover.changes).toEqual([
      'layer4: - connection sync backup on eth1 (sync id 9)',
      'layer4: + connection sync master on eth1 (sync id 9)',
    ]);
    expect(takeover.count).toBe(2);
    expect(fake.sent).toEqual([]);
    expect(fake.daemonCalls).toEqual(['start backup', 'stop backup', 'start master']);
    expect(driver.connectionSync().state).toBe('master');
    // Standalone again (the heartbeat switched off): no daemon.
    await driver.apply({ ...input(2), active: true });
    expect(fake.daemons).toEqual([]);
    expect(driver.connectionSync()).toEqual({ state: 'off' });
    expect(warnings).toEqual([]);
  });

  it('the very same service under the same states revision is not asked again; a new revision is', async () => {
    const fake = new FakeIpvs();
    const driver = await driverWith(fake);
    const config = version(1, twoServices()).config;
    let states: States = {};
    let asked = 0;
    const server = (ref: RealServerRef) => {
      asked++;
      return stateFn(states)(ref);
    };
    let revision = 1;
    const apply = (n: number) => driver.apply({ version: n, config, server, statesRevision: () => revision });
    await apply(1);
    asked = 0;
    fake.sent.length = 0;
    expect((await apply(2)).changes).toEqual([]);
    expect(asked).toBe(0);
    states = { alpha: { admin: 'drain' } };
    revision = 2;
    expect((await apply(3)).changes).toEqual(['layer4: ~ tcp 192.0.2.10:80 -> 198.51.100.11:8080 (weight 3 -> 0)']);
    expect(asked).toBeGreaterThan(0);
    // An equal but new service object is compared by value, as without a revision.
    asked = 0;
    const copy = { ...config, layer4: config.layer4.map((s) => structuredClone(s)) };
    expect((await driver.apply({ version: 4, config: copy, server, statesRevision: () => revision })).changes).toEqual(
      [],
    );
    expect(asked).toBeGreaterThan(0);
  });

  it('a new version is planned per changed service: one weight is one edit, a dropped service is deleted', async () => {
    const fake = new FakeIpvs();
    const driver = await driverWith(fake);
    await driver.apply(input(1));
    fake.sent.length = 0;
    const changed = twoServices();
    const alpha = changed.layer4?.[0]?.realServers?.[0];
    if (!alpha) throw new Error('fixture');
    alpha.weight = 7;
    changed.layer4 = changed.layer4?.slice(0, 1);
    const result = await driver.apply({ ...input(2), config: version(2, changed).config });
    expect(result.changes).toEqual([
      'layer4: ~ tcp 192.0.2.10:80 -> 198.51.100.11:8080 (weight 3 -> 7)',
      'layer4: - udp 192.0.2.11:53',
    ]);
    expect(fake.sent.map((o) => o.op)).toEqual(['edit-destination', 'delete-service']);
    expect(fake.lists).toBe(1);
  });

  it('a dump begun before a write is never used to "repair" that write away', async () => {
    const fake = new FakeIpvs();
    const driver = await driverWith(fake, { observeMaxAgeMs: 0 });
    await driver.apply(input(1));
    let open: () => void = () => undefined;
    fake.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    // A drift check's dump and an observation's are in flight; a write lands.
    const drift = driver.drift();
    const observing = driver.observe();
    await driver.apply(input(2, { alpha: { admin: 'drain' } }, [{ layer: 'layer4', service: 'web' }]));
    fake.gate = undefined;
    open();
    expect(await drift).toEqual([]);
    // Nor does the observation show the weight from before the write.
    expect((await observing).get('layer4/web/alpha')?.effectiveWeight).toBe(0);
    const web = [...fake.table.values()].find((s) => s.port === 80);
    expect(web?.destinations.find((d) => d.address === '198.51.100.11')?.weight).toBe(0);
    expect(await driver.drift()).toEqual([]);
  });
});

describe('sameValue', () => {
  it('compares JSON values deeply', () => {
    expect(sameValue({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] })).toBe(true);
    expect(sameValue({ a: [1, { b: 'x' }] }, { a: [1, { b: 'y' }] })).toBe(false);
    expect(sameValue({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameValue([1, 2], [1, 2, 3])).toBe(false);
    expect(sameValue({ 0: 1 }, [1])).toBe(false);
    expect(sameValue(null, {})).toBe(false);
  });
});
