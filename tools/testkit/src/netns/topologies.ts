import type { Host } from './host.js';
import type { Lab } from './lab.js';

export type Forwarding = 'nat' | 'dr' | 'tun';

/** A client, a director holding the VIP, and real servers wired for one forwarding method. */
export interface DirectorTopology {
  forwarding: Forwarding;
  client: Host;
  director: Host;
  /** In the order of `options.servers`. */
  servers: Host[];
  vip: string;
  /** The real servers' addresses, as the director reaches them. */
  serverAddresses: string[];
}

export interface DirectorTopologyOptions {
  /** Labels of the real servers (default `alpha`, `bravo`); at most 50. */
  servers?: readonly string[];
}

/**
 * The three classic IPVS wirings, built in a lab (the real servers run nothing yet: start
 * `serveHttp`/`serveTcp` on port 80 or another). The director holds the VIP; the IPVS
 * service is the test's to make.
 *
 * - `nat`: client 203.0.113.2 -- director 203.0.113.1, VIP 203.0.113.10 -- switch
 *   192.0.2.0/24 (director .1, real servers .11, .12, ... whose default gateway is the director).
 * - `dr`: one switch 192.0.2.0/24: client .2, director .1 with VIP .100, real servers .11, ...
 *   holding the VIP on `lo` with arp_ignore=1 and arp_announce=2.
 * - `tun`: client 203.0.113.2 and director 203.0.113.1 (VIP .100) on a front switch, real
 *   servers 198.51.100.11, ... on a back switch, a router (.254 on both) between them; the
 *   real servers hold the VIP on `tunl0` with reverse-path filtering off and answer the
 *   client through the router (not the director, which would drop its own VIP as a martian).
 */
export async function directorTopology(
  lab: Lab,
  forwarding: Forwarding,
  options: DirectorTopologyOptions = {},
): Promise<DirectorTopology> {
  const labels = options.servers ?? ['alpha', 'bravo'];
  const servers: Host[] = [];
  if (forwarding === 'nat') {
    const client = await lab.host('client');
    const director = await lab.host('director');
    const lan = await lab.switch('lan');
    await lab.link(client, director, { aAddrs: ['203.0.113.2/24'], bAddrs: ['203.0.113.1/24', '203.0.113.10/24'] });
    await lab.attach(director, lan, ['192.0.2.1/24']);
    await director.sysctl('net.ipv4.ip_forward', 1);
    const serverAddresses = labels.map((_, i) => `192.0.2.${11 + i}`);
    for (const [i, label] of labels.entries()) {
      const server = await lab.host(label);
      await lab.attach(server, lan, [`${serverAddresses[i]}/24`]);
      await server.addRoute('default', '192.0.2.1');
      servers.push(server);
    }
    return { forwarding, client, director, servers, vip: '203.0.113.10', serverAddresses };
  }
  if (forwarding === 'dr') {
    const lan = await lab.switch('lan');
    const client = await lab.host('client');
    const director = await lab.host('director');
    await lab.attach(client, lan, ['192.0.2.2/24']);
    await lab.attach(director, lan, ['192.0.2.1/24', '192.0.2.100/24']);
    const serverAddresses = labels.map((_, i) => `192.0.2.${11 + i}`);
    for (const [i, label] of labels.entries()) {
      const server = await lab.host(label);
      // The fix for the DR ARP problem: accept the VIP, never answer ARP for it.
      await server.sysctl('net.ipv4.conf.all.arp_ignore', 1);
      await server.sysctl('net.ipv4.conf.all.arp_announce', 2);
      await server.addAddress('lo', '192.0.2.100/32');
      await lab.attach(server, lan, [`${serverAddresses[i]}/24`]);
      servers.push(server);
    }
    return { forwarding, client, director, servers, vip: '192.0.2.100', serverAddresses };
  }
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
  const serverAddresses = labels.map((_, i) => `198.51.100.${11 + i}`);
  for (const [i, label] of labels.entries()) {
    const server = await lab.host(label);
    await lab.attach(server, back, [`${serverAddresses[i]}/24`]);
    await server.addRoute('default', '198.51.100.254');
    // Decapsulate on tunl0, which holds the VIP; the inner source is the client, so
    // reverse-path filtering must not drop it.
    await server.ip(['link', 'set', 'tunl0', 'up']);
    await server.addAddress('tunl0', '203.0.113.100/32');
    await server.sysctl('net.ipv4.conf.all.rp_filter', 0);
    await server.sysctl('net.ipv4.conf.tunl0.rp_filter', 0);
    await server.sysctl('net.ipv4.conf.all.arp_ignore', 1);
    await server.sysctl('net.ipv4.conf.all.arp_announce', 2);
    servers.push(server);
  }
  return { forwarding, client, director, servers, vip: '203.0.113.100', serverAddresses };
}
