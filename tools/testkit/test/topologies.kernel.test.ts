import { afterEach, describe, expect, it } from 'vitest';
import { directorTopology, type Forwarding, Lab } from '../src/index.js';

// The shared DR and TUN wirings (NAT: ipvs-nat.kernel.test.ts) carry real IPVS traffic.
describe('directorTopology', () => {
  let lab: Lab | undefined;

  afterEach(async () => {
    await lab?.destroy();
    lab = undefined;
  });

  for (const [forwarding, flag] of [
    ['dr', '-g'],
    ['tun', '-i'],
  ] as [Forwarding, string][]) {
    it(`${forwarding}: a client is balanced over both real servers`, async () => {
      lab = await Lab.create();
      const topology = await directorTopology(lab, forwarding);
      for (const server of topology.servers) await server.serveHttp({ name: `${server.label}_server`, port: 80 });
      await topology.director.exec('ipvsadm', ['-A', '-t', `${topology.vip}:80`, '-s', 'rr']);
      for (const address of topology.serverAddresses) {
        await topology.director.exec('ipvsadm', ['-a', '-t', `${topology.vip}:80`, '-r', `${address}:80`, flag]);
      }
      const bodies = await topology.client.httpGet(`http://${topology.vip}/`, 4);
      expect(bodies.sort()).toEqual(['alpha_server', 'alpha_server', 'bravo_server', 'bravo_server']);
    });
  }
});
