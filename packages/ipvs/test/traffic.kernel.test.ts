import { fileURLToPath } from 'node:url';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IpvsClient, type ServiceKey } from '../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

async function greetings(client: Host, address: string, port: number, count: number): Promise<string[]> {
  const { stdout } = await client.node(fixture('tcp-greetings.mjs'), [address, String(port), String(count)]);
  return JSON.parse(stdout) as string[];
}

/** A lab with a client, a director and two real servers; each test builds its own wiring. */
async function withLab(build: (lab: Lab) => Promise<void>): Promise<Lab> {
  const lab = await Lab.create();
  try {
    await build(lab);
    return lab;
  } catch (error) {
    await lab.destroy();
    throw error;
  }
}

describe('NAT: masquerading, the director is the real servers gateway', () => {
  let lab: Lab;
  let ipvs: IpvsClient;
  const vip: ServiceKey = { protocol: 'tcp', address: '203.0.113.10', port: 80 };

  beforeAll(async () => {
    lab = await withLab(async (lab) => {
      const client = await lab.host('client');
      const director = await lab.host('director');
      const lan = await lab.switch('lan');
      await lab.link(client, director, { aAddrs: ['203.0.113.2/24'], bAddrs: ['203.0.113.1/24', '203.0.113.10/24'] });
      await lab.attach(director, lan, ['192.0.2.1/24']);
      await director.sysctl('net.ipv4.ip_forward', 1);
      for (const [name, address] of [
        ['alpha', '192.0.2.11'],
        ['bravo', '192.0.2.12'],
      ] as const) {
        const server = await lab.host(name);
        await lab.attach(server, lan, [`${address}/24`]);
        await server.addRoute('default', '192.0.2.1');
        await server.serveTcp({ name: `${name}_server`, port: 8080 });
      }
    });
    ipvs = await IpvsClient.open({ netns: lab.get('director').netns });
    await ipvs.addService({ ...vip, scheduler: 'rr' });
    for (const address of ['192.0.2.11', '192.0.2.12']) {
      await ipvs.addDestination(vip, { address, port: 8080, forwarding: 'nat' });
    }
  });

  afterAll(async () => {
    ipvs?.close();
    await lab?.destroy();
  });

  it('balances a client between both real servers, port translated', async () => {
    const names = await greetings(lab.get('client'), '203.0.113.10', 80, 4);
    expect(names.sort()).toEqual(['alpha_server', 'alpha_server', 'bravo_server', 'bravo_server']);
  });

  it('drains with weight 0: no new connections, the established one keeps working', async () => {
    const client = lab.get('client');
    const held = client.spawn(process.execPath, [fixture('hold-connection.mjs'), '203.0.113.10', '80']);
    const server = (await held.waitForLine('GREETING', 10_000)).trim();
    const address = server === 'alpha_server' ? '192.0.2.11' : '192.0.2.12';
    await ipvs.editDestination(vip, { address, port: 8080, forwarding: 'nat', weight: 0 });
    expect(new Set(await greetings(client, '203.0.113.10', 80, 4))).toEqual(
      new Set([server === 'alpha_server' ? 'bravo_server' : 'alpha_server']),
    );
    const echoes = () => Number(/ECHO (\d+)\s*$/.exec(held.log)?.[1] ?? 0);
    const before = echoes();
    await vi.waitFor(() => expect(echoes()).toBeGreaterThan(before + 3), { timeout: 10_000, interval: 100 });
    expect(held.log).not.toContain('ERROR');
    const conns = await ipvs.connections();
    expect(conns).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          protocol: 'tcp',
          state: 'ESTABLISHED',
          client: expect.objectContaining({ address: '203.0.113.2' }),
          virtual: { address: '203.0.113.10', port: 80 },
          destination: { address, port: 8080 },
        }),
      ]),
    );
    await held.stop();
  });
});

describe('DR: direct routing on one segment, the VIP on the real servers lo', () => {
  let lab: Lab;
  let ipvs: IpvsClient;

  beforeAll(async () => {
    lab = await withLab(async (lab) => {
      const lan = await lab.switch('lan');
      const client = await lab.host('client');
      const director = await lab.host('director');
      await lab.attach(client, lan, ['192.0.2.2/24']);
      await lab.attach(director, lan, ['192.0.2.1/24', '192.0.2.100/24']);
      for (const [name, address] of [
        ['alpha', '192.0.2.11'],
        ['bravo', '192.0.2.12'],
      ] as const) {
        const server = await lab.host(name);
        // The fix for the DR ARP problem: accept the VIP, never answer ARP for it.
        await server.sysctl('net.ipv4.conf.all.arp_ignore', 1);
        await server.sysctl('net.ipv4.conf.all.arp_announce', 2);
        await server.addAddress('lo', '192.0.2.100/32');
        await lab.attach(server, lan, [`${address}/24`]);
        await server.serveTcp({ name: `${name}_server`, port: 80 });
      }
    });
    ipvs = await IpvsClient.open({ netns: lab.get('director').netns });
    const vip: ServiceKey = { protocol: 'tcp', address: '192.0.2.100', port: 80 };
    await ipvs.addService({ ...vip, scheduler: 'rr' });
    for (const address of ['192.0.2.11', '192.0.2.12']) {
      await ipvs.addDestination(vip, { address, port: 80, forwarding: 'dr' });
    }
  });

  afterAll(async () => {
    ipvs?.close();
    await lab?.destroy();
  });

  it('balances a client between both real servers, replies going straight back', async () => {
    const names = await greetings(lab.get('client'), '192.0.2.100', 80, 4);
    expect(names.sort()).toEqual(['alpha_server', 'alpha_server', 'bravo_server', 'bravo_server']);
  });
});

describe('TUN: IP-in-IP to real servers on another network', () => {
  let lab: Lab;
  let ipvs: IpvsClient;

  beforeAll(async () => {
    // Replies go from the real servers to the client through a router, not back through
    // the director: the director owns the VIP and would drop them as martians.
    lab = await withLab(async (lab) => {
      const front = await lab.switch('front');
      const back = await lab.switch('back');
      const client = await lab.host('client');
      const director = await lab.host('director');
      const router = await lab.host('router');
      await lab.attach(client, front, ['203.0.113.2/24']);
      await lab.attach(director, front, ['203.0.113.1/24', '203.0.113.100/24']);
      await lab.attach(director, back, ['198.51.100.1/24']);
      await lab.attach(router, front, ['203.0.113.254/24']);
      await lab.attach(router, back, ['198.51.100.254/24']);
      await router.sysctl('net.ipv4.ip_forward', 1);
      for (const [name, address] of [
        ['alpha', '198.51.100.11'],
        ['bravo', '198.51.100.12'],
      ] as const) {
        const server = await lab.host(name);
        await lab.attach(server, back, [`${address}/24`]);
        await server.addRoute('default', '198.51.100.254');
        // Decapsulate on tunl0, which holds the VIP; the inner source is the client, so
        // reverse-path filtering must not drop it.
        await server.ip(['link', 'set', 'tunl0', 'up']);
        await server.addAddress('tunl0', '203.0.113.100/32');
        await server.sysctl('net.ipv4.conf.all.rp_filter', 0);
        await server.sysctl('net.ipv4.conf.tunl0.rp_filter', 0);
        await server.sysctl('net.ipv4.conf.all.arp_ignore', 1);
        await server.sysctl('net.ipv4.conf.all.arp_announce', 2);
        await server.serveTcp({ name: `${name}_server`, port: 80 });
      }
    });
    ipvs = await IpvsClient.open({ netns: lab.get('director').netns });
    const vip: ServiceKey = { protocol: 'tcp', address: '203.0.113.100', port: 80 };
    await ipvs.addService({ ...vip, scheduler: 'rr' });
    for (const address of ['198.51.100.11', '198.51.100.12']) {
      await ipvs.addDestination(vip, { address, port: 80, forwarding: 'tun', tunnel: { type: 'ipip' } });
    }
  });

  afterAll(async () => {
    ipvs?.close();
    await lab?.destroy();
  });

  it('balances a client between both real servers through the tunnel', async () => {
    const names = await greetings(lab.get('client'), '203.0.113.100', 80, 4);
    expect(names.sort()).toEqual(['alpha_server', 'alpha_server', 'bravo_server', 'bravo_server']);
  });
});
