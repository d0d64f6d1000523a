/**
 * Connection sync over IPv6 multicast, in the kernel: two directors' Layer 4 drivers, one
 * active (sync master) and one passive (sync backup) on a shared segment, an IPv6 DR
 * service, a client and a real server. The passive director's kernel must come to hold
 * the connections and the persistence template the active one scheduled.
 */
import { fileURLToPath } from 'node:url';
import { IpvsClient } from '@sluice/ipvs';
import { type Host, Lab, type RunningServer } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLayer4Driver, type Layer4DriverOptions } from '../../src/engine/index.js';
import type { Layer4Driver } from '../../src/engine/layer4/driver.js';
import { pairHeartbeat, version } from './fakes.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const VIP = '2001:db8::100';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const config = (connectionSync: { interface: string; syncId: number; group: string }) =>
  version(1, {
    layer4: [
      {
        label: 'dr6',
        vip: VIP,
        ports: [7777],
        forwarding: 'dr',
        persistence: { timeoutSeconds: 300 },
        realServers: [{ label: 'far', address: '2001:db8::11' }],
      },
    ],
    ...pairHeartbeat(connectionSync),
  }).config;

const server = () => ({ admin: 'online' as const, health: 'unchecked' as const });

describe('connection sync over IPv6 multicast (kernel)', () => {
  let lab: Lab;
  let client: Host;
  let active: Host;
  let passive: Host;
  let realServer: RunningServer;
  const drivers: Layer4Driver[] = [];

  const driverIn = async (host: Host, options: Layer4DriverOptions = {}) => {
    const driver = createLayer4Driver({ netns: host.netns, ...options });
    drivers.push(driver);
    expect(await driver.probe()).toEqual({ available: true });
    return driver;
  };

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.switch('lan');
    client = await lab.host('client');
    active = await lab.host('lb1');
    passive = await lab.host('lb2');
    const far = await lab.host('far');
    await lab.attach(client, lan, ['2001:db8::21/64']);
    await lab.attach(active, lan, ['2001:db8::2/64', `${VIP}/64`], 'lan0');
    await lab.attach(passive, lan, ['2001:db8::3/64'], 'lan0');
    await lab.attach(far, lan, ['2001:db8::11/64']);
    await active.sysctl('net.ipv6.conf.all.forwarding', 1);
    // Direct routing: the real server holds the VIP on lo, where it answers no neighbour solicitation.
    await far.addAddress('lo', `${VIP}/128`);
    realServer = await far.serveTcp({ name: 'far_server', port: 7777, address: VIP });
  });

  afterAll(async () => {
    for (const driver of drivers) await driver.stop();
    await realServer?.stop();
    await lab?.destroy();
  });

  it('the passive director holds the connections and the persistence template the active one scheduled; drift puts back a stopped daemon', async () => {
    const sync = { interface: 'lan0', syncId: 6, group: 'ff02::8848' };
    const master = await driverIn(active);
    const backup = await driverIn(passive);
    await master.apply({ version: 1, config: config(sync), server, active: true });
    await backup.apply({ version: 1, config: config(sync), server, active: false });
    expect(master.connectionSync()).toEqual({ state: 'master', interface: 'lan0', syncId: 6 });
    expect(backup.connectionSync()).toEqual({ state: 'backup', interface: 'lan0', syncId: 6 });
    const kernel = await IpvsClient.open({ netns: passive.netns });
    try {
      expect(await kernel.listDaemons()).toEqual([
        expect.objectContaining({ state: 'backup', interface: 'lan0', syncId: 6, group: 'ff02::8848' }),
      ]);
    } finally {
      kernel.close();
    }

    const { stdout } = await client.node(fixture('greetings.mjs'), [VIP, '7777', '3']);
    expect(JSON.parse(stdout)).toEqual(['far_server', 'far_server', 'far_server']);
    const ours = (rows: Awaited<ReturnType<Layer4Driver['connections']>>) =>
      rows.filter((c) => c.client.startsWith('[2001:db8::21]:') && c.virtual === `[${VIP}]:7777`);
    // The persistence template has client port 0; the connections their own ports.
    const template = (rows: ReturnType<typeof ours>) => rows.find((c) => c.client.endsWith(']:0'));
    const connections = (rows: ReturnType<typeof ours>) => rows.filter((c) => !c.client.endsWith(']:0'));
    let seen: ReturnType<typeof ours> = [];
    // The kernel sends what it synced within 2 s; 30 s leaves room for a slow UML.
    for (let i = 0; i < 120 && !(template(seen) && connections(seen).length === 3); i++) {
      if (i > 0) await sleep(250);
      seen = ours(await backup.connections());
    }
    expect(template(seen)?.destination, JSON.stringify(seen)).toBe('[2001:db8::11]:7777');
    expect(
      connections(seen).map((c) => c.destination),
      JSON.stringify(seen),
    ).toEqual(['[2001:db8::11]:7777', '[2001:db8::11]:7777', '[2001:db8::11]:7777']);

    // A daemon stopped out of band is put back by the drift check, with the configured group.
    await passive.exec('ipvsadm', ['--stop-daemon', 'backup']);
    expect(await backup.drift()).toEqual(['layer4: + connection sync backup on lan0 (sync id 6 group ff02::8848)']);
    expect((await passive.exec('ipvsadm', ['-L', '--daemon'])).stdout).toMatch(
      /backup sync daemon \(mcast=lan0, syncid=6/,
    );
    expect(await backup.drift()).toEqual([]);
  });
  it('ECMP: every node runs the master and the backup, and a node keeps the connections another scheduled', async () => {
    const sync = { interface: 'lan0', syncId: 8, group: 'ff02::8849' };
    const ecmp = version(2, {
      cluster: { mode: 'ecmp', connectionSync: sync },
      layer4: [
        {
          label: 'dr6',
          vip: VIP,
          ports: [7777],
          forwarding: 'dr',
          scheduler: 'mh',
          realServers: [{ label: 'far', address: '2001:db8::11' }],
        },
      ],
    }).config;
    const [first, second] = drivers as [Layer4Driver, Layer4Driver];
    // Whatever role each had in the pair: in a cluster both run both daemons.
    await first.apply({ version: 2, config: ecmp, server, active: true });
    await second.apply({ version: 2, config: ecmp, server, active: false });
    for (const [driver, host] of [
      [first, active],
      [second, passive],
    ] as const) {
      expect(driver.connectionSync()).toEqual({ state: 'both', interface: 'lan0', syncId: 8 });
      const states = (await host.exec('ipvsadm', ['-L', '--daemon'])).stdout;
      expect(states).toMatch(/master sync daemon \(mcast=lan0, syncid=8/);
      expect(states).toMatch(/backup sync daemon \(mcast=lan0, syncid=8/);
    }
    expect((await active.exec('cat', ['/proc/sys/net/ipv4/vs/sloppy_tcp'])).stdout.trim()).toBe('1');

    // The VIP lives on lb1 only here: lb1 schedules, lb2 must come to hold the entries.
    const before = new Set((await second.connections()).map((c) => c.client));
    await client.node(fixture('greetings.mjs'), [VIP, '7777', '4']);
    let synced: Awaited<ReturnType<Layer4Driver['connections']>> = [];
    for (let i = 0; i < 120 && synced.length < 4; i++) {
      if (i > 0) await sleep(250);
      synced = (await second.connections()).filter(
        (c) => c.client.startsWith('[2001:db8::21]:') && !c.client.endsWith(']:0') && !before.has(c.client),
      );
    }
    expect(
      synced.map((c) => c.destination),
      JSON.stringify(synced),
    ).toEqual(['[2001:db8::11]:7777', '[2001:db8::11]:7777', '[2001:db8::11]:7777', '[2001:db8::11]:7777']);
  });
});
