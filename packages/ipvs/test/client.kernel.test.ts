import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, IpvsClient, type IpvsError, plan, SCHEDULERS, type ServiceKey } from '../src/index.js';

// Every call goes through a client opened in a fresh namespace (the namespace transport),
// and every result is cross-checked with the real ipvsadm in that namespace.
let lab: Lab;
let director: Host;
let client: IpvsClient;

const ipvsadm = async (...args: string[]) => (await director.exec('ipvsadm', args)).stdout;
const caught = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (error) {
    return error as IpvsError;
  }
  throw new Error('expected a rejection');
};

beforeAll(async () => {
  lab = await Lab.create();
  director = await lab.host('director');
  client = await IpvsClient.open({ netns: director.netns });
});

afterAll(async () => {
  client?.close();
  await lab?.destroy();
});

describe('info and timeouts', () => {
  it('reads the IPVS version and connection table size', async () => {
    const info = await client.info();
    expect(info.version).toMatch(/^1\.2\.\d+$/);
    expect(await ipvsadm('-Ln')).toContain(
      `IP Virtual Server version ${info.version} (size=${info.connectionTableSize})`,
    );
  });

  it('sets and reads the tcp, tcpfin and udp timeouts', async () => {
    await client.setTimeouts({ tcp: 1000, tcpFin: 60, udp: 200 });
    expect(await client.getTimeouts()).toEqual({ tcp: 1000, tcpFin: 60, udp: 200 });
    expect(await ipvsadm('-L', '--timeout')).toContain('Timeout (tcp tcpfin udp): 1000 60 200');
    await client.setTimeouts({ udp: 300 });
    expect(await client.getTimeouts()).toEqual({ tcp: 1000, tcpFin: 60, udp: 300 });
  });
});

describe('services and destinations, IPv4 and IPv6', () => {
  const web: ServiceKey = { protocol: 'tcp', address: '192.0.2.10', port: 80 };
  const dns6: ServiceKey = { protocol: 'udp', address: '2001:db8::53', port: 53 };
  const mark: ServiceKey = { fwmark: 7, family: 4 };

  it('adds services of every kind and ipvsadm -S shows exactly them', async () => {
    await client.flush();
    await client.addService({ ...web, scheduler: 'wrr', persistence: { timeout: 300, netmask: 24 } });
    await client.addService({
      ...dns6,
      scheduler: 'sh',
      schedulerFlags: { fallback: true, port: true },
      onePacket: true,
    });
    await client.addService({ ...mark, scheduler: 'mh', schedulerFlags: { port: true } });
    await client.addService({ protocol: 'sctp', address: '192.0.2.10', port: 5060, scheduler: 'rr' });
    await client.addService({
      protocol: 'udp',
      address: '192.0.2.10',
      port: 5060,
      scheduler: 'rr',
      persistence: { timeout: 60 },
      persistenceEngine: 'sip',
    });
    await client.addDestination(web, { address: '198.51.100.1', port: 8080, forwarding: 'nat', weight: 3 });
    await client.addDestination(web, {
      address: '198.51.100.2',
      port: 8080,
      forwarding: 'nat',
      weight: 2,
      upperThreshold: 100,
      lowerThreshold: 50,
    });
    await client.addDestination(dns6, { address: '2001:db8:1::1', port: 53, forwarding: 'dr' });
    await client.addDestination(mark, {
      address: '198.51.100.3',
      port: 0,
      forwarding: 'tun',
      tunnel: { type: 'ipip' },
    });
    await client.addDestination(mark, {
      address: '198.51.100.4',
      port: 0,
      forwarding: 'tun',
      tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' },
    });
    await client.addDestination(mark, {
      address: '198.51.100.5',
      port: 0,
      forwarding: 'tun',
      tunnel: { type: 'gre', checksum: 'csum' },
    });
    const saved = (await ipvsadm('-S', '-n')).trim().split('\n').sort();
    expect(saved).toEqual(
      [
        '-A -t 192.0.2.10:80 -s wrr -p 300 -M 255.255.255.0',
        '-a -t 192.0.2.10:80 -r 198.51.100.1:8080 -m -w 3',
        // ipvsadm -S leaves thresholds out; --thresholds below shows them.
        '-a -t 192.0.2.10:80 -r 198.51.100.2:8080 -m -w 2',
        '-A -u [2001:db8::53]:53 -s sh -o -b sh-fallback,sh-port',
        '-a -u [2001:db8::53]:53 -r [2001:db8:1::1]:53 -g -w 1',
        '-A -f 7 -s mh -b mh-port',
        '-a -f 7 -r 198.51.100.3:0 -i -w 1 --tun-type ipip',
        '-a -f 7 -r 198.51.100.4:0 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum',
        '-a -f 7 -r 198.51.100.5:0 -i -w 1 --tun-type gre --tun-csum',
        '--sctp-service 192.0.2.10:5060 -s rr',
        '-A -u 192.0.2.10:5060 -s rr -p 60 --pe sip',
      ]
        .map((l) => l.replace('--sctp-service', '-A --sctp-service'))
        .sort(),
    );
    expect(await ipvsadm('-Ln', '--thresholds')).toMatch(/-> 198\.51\.100\.2:8080\s+100\s+50\s/);
  });

  it('reads the same table back, decoded', async () => {
    const table = await client.list();
    // The kernel lists destinations newest first; compare in address order.
    for (const s of table) s.destinations.sort((a, b) => a.address.localeCompare(b.address));
    const byKey = new Map(table.map((s) => [`${s.protocol ?? 'fwm'}:${s.port ?? s.fwmark}:${s.address ?? ''}`, s]));
    expect(byKey.get('tcp:80:192.0.2.10')).toMatchObject({
      scheduler: 'wrr',
      family: 4,
      persistence: { timeout: 300, netmask: 24 },
      destinations: [
        { address: '198.51.100.1', port: 8080, forwarding: 'nat', weight: 3 },
        { address: '198.51.100.2', port: 8080, weight: 2, upperThreshold: 100, lowerThreshold: 50 },
      ],
    });
    expect(byKey.get('udp:53:2001:db8::53')).toMatchObject({
      family: 6,
      onePacket: true,
      schedulerFlags: { fallback: true, port: true },
      destinations: [{ address: '2001:db8:1::1', forwarding: 'dr', family: 6 }],
    });
    expect(byKey.get('fwm:7:')?.destinations.map((d) => d.tunnel)).toEqual([
      { type: 'ipip' },
      { type: 'gue', port: 6080, checksum: 'remcsum' },
      { type: 'gre', checksum: 'csum' },
    ]);
    expect(byKey.get('udp:5060:192.0.2.10')).toMatchObject({ persistenceEngine: 'sip', persistence: { timeout: 60 } });
    expect(await client.getService(web)).toMatchObject({ scheduler: 'wrr' });
  });

  it('edits a service and a destination in place', async () => {
    await client.editService({ ...web, scheduler: 'lc' });
    await client.editDestination(web, { address: '198.51.100.1', port: 8080, forwarding: 'nat', weight: 0 });
    const out = await ipvsadm('-Ln');
    expect(out).toMatch(/TCP {2}192\.0\.2\.10:80 lc\n/);
    expect(out).toMatch(/-> 198\.51\.100\.1:8080\s+Masq\s+0\s/);
  });

  it('accepts every scheduler this kernel has, and names the one it lacks', async () => {
    for (const scheduler of SCHEDULERS.filter((name) => name !== 'twos')) {
      await client.editService({ ...web, scheduler });
      expect((await client.getService(web)).scheduler).toBe(scheduler);
    }
    // The rig's 6.1 kernel predates the twos scheduler.
    const error = await caught(client.editService({ ...web, scheduler: 'twos' }));
    expect(error).toMatchObject({ code: 'IPVS_FEATURE_UNAVAILABLE', field: 'scheduler', errnoName: 'ENOENT' });
  });

  it('maps kernel errors to codes and keeps the errno', async () => {
    expect(await caught(client.addService({ ...web }))).toMatchObject({ code: 'IPVS_EXISTS', errnoName: 'EEXIST' });
    expect(
      await caught(client.addDestination(web, { address: '198.51.100.1', port: 8080, forwarding: 'nat' })),
    ).toMatchObject({
      code: 'IPVS_EXISTS',
    });
    const missing: ServiceKey = { protocol: 'tcp', address: '192.0.2.99', port: 80 };
    expect(await caught(client.deleteService(missing))).toMatchObject({ code: 'IPVS_NOT_FOUND', errnoName: 'ESRCH' });
    expect(await caught(client.getService(missing))).toMatchObject({ code: 'IPVS_NOT_FOUND' });
    expect(await caught(client.deleteDestination(web, { address: '198.51.100.9', port: 8080 }))).toMatchObject({
      code: 'IPVS_NOT_FOUND',
      errnoName: 'ENOENT',
    });
  });

  it('refuses invalid input before sending anything, naming the field', async () => {
    const before = await ipvsadm('-S', '-n');
    expect(
      await caught(client.addDestination(web, { address: '198.51.100.7', port: 8080, forwarding: 'dr' })),
    ).toMatchObject({
      code: 'IPVS_INVALID_FIELD',
      field: 'destination.port',
    });
    expect(await caught(client.addService({ protocol: 'tcp', address: '192.0.2.1', port: 0 }))).toMatchObject({
      field: 'service.port',
    });
    expect(await ipvsadm('-S', '-n')).toBe(before);
  });

  it('zeroes counters and deletes destinations and services', async () => {
    await client.zero(web);
    await client.zero();
    await client.deleteDestination(web, { address: '198.51.100.2', port: 8080 });
    await client.deleteService(mark);
    const saved = await ipvsadm('-S', '-n');
    expect(saved).not.toContain('198.51.100.2:8080');
    expect(saved).not.toContain('-f 7');
    await client.flush();
    expect((await ipvsadm('-S', '-n')).trim()).toBe('');
  });
});

describe('connection sync daemons', () => {
  it('starts, lists and stops master and backup daemons with v2 options', async () => {
    await client.startDaemon({
      state: 'master',
      interface: 'lo',
      syncId: 9,
      maxLength: 1400,
      group: '224.0.0.81',
      port: 8848,
      ttl: 2,
    });
    await client.startDaemon({ state: 'backup', interface: 'lo', syncId: 9 });
    const daemons = await client.listDaemons();
    expect(daemons).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ state: 'master', interface: 'lo', syncId: 9, maxLength: 1400, port: 8848, ttl: 2 }),
        expect.objectContaining({ state: 'backup', interface: 'lo', syncId: 9 }),
      ]),
    );
    const shown = await ipvsadm('-L', '--daemon');
    expect(shown).toContain('master sync daemon (mcast=lo, syncid=9');
    expect(shown).toContain('backup sync daemon (mcast=lo, syncid=9');
    await client.stopDaemon('master');
    await client.stopDaemon('backup');
    expect(await client.listDaemons()).toEqual([]);
  });
});

describe('batches, plan and apply', () => {
  it('reports per-operation errors from one batch and applies the rest', async () => {
    await client.flush();
    const svc: ServiceKey = { protocol: 'tcp', address: '192.0.2.20', port: 443 };
    const results = await client.execute([
      { op: 'add-service', service: { ...svc, scheduler: 'rr' } },
      { op: 'add-destination', service: svc, destination: { address: '198.51.100.1', port: 443 } },
      { op: 'add-destination', service: svc, destination: { address: '198.51.100.1', port: 443 } },
      { op: 'add-destination', service: svc, destination: { address: '198.51.100.2', port: 443 } },
    ]);
    expect(results.map((r) => r.error?.code)).toEqual([undefined, undefined, 'IPVS_EXISTS', undefined]);
    expect((await client.listDestinations(svc)).map((d) => d.address).sort()).toEqual(['198.51.100.1', '198.51.100.2']);
  });

  it('applies a desired table, then plans nothing', async () => {
    await client.flush();
    const desired = [
      {
        protocol: 'tcp' as const,
        address: '192.0.2.30',
        port: 80,
        scheduler: 'wlc' as const,
        destinations: [
          { address: '198.51.100.1', port: 80 },
          { address: '198.51.100.2', port: 80, weight: 5 },
        ],
      },
      {
        protocol: 'udp' as const,
        address: '2001:db8::30',
        port: 53,
        destinations: [{ address: '2001:db8:1::2', port: 5353, forwarding: 'nat' as const }],
      },
    ];
    const report = await apply(client, plan(desired, await client.list()));
    expect(report).toMatchObject({ applied: 5, failed: 0 });
    expect(plan(desired, await client.list()).items).toEqual([]);
    // An out-of-band change (drift) is planned back as one edit.
    await director.exec('ipvsadm', ['-e', '-t', '192.0.2.30:80', '-r', '198.51.100.2:80', '-g', '-w', '1']);
    const drift = plan(desired, await client.list());
    expect(drift.items.map((i) => [i.operation.op, i.changes])).toEqual([['edit-destination', { weight: [1, 5] }]]);
    await apply(client, drift);
    expect(await ipvsadm('-Ln')).toMatch(/198\.51\.100\.2:80\s+Route\s+5/);
  });
});
