import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_HEALTH_CHECK, type LabTopology, labLayer7Service } from '../../src/lab/index.js';
import { Appliance, until } from './harness/appliance.js';
import { balancedOver, E2E_PREFIX, freshLab, PAGES, removeLab, serverStatus } from './harness/lab.js';
import { clients, tally, untilTraffic } from './harness/traffic.js';

// A Layer 7 (HAProxy, source NAT) service made through the REST API: the real HAProxy in
// the balancer's namespace proxies both clients to the three real servers.
describe('Layer 7 SNAT service made through the API', { timeout: 240_000 }, () => {
  let topology: LabTopology;
  let appliance: Appliance;
  const url = () => `http://${topology.vips.layer7}/`;

  const colourOf = (server: string) => serverStatus(appliance.api, 'layer7', 'lab-l7', server).then((s) => s?.colour);

  beforeAll(async () => {
    topology = await freshLab();
    appliance = await Appliance.start(`${E2E_PREFIX}lb`);
    await appliance.api.write('POST', '/health-checks', LAB_HEALTH_CHECK);
    await appliance.api.write('POST', '/layer7/services', labLayer7Service(topology));
  }, 240_000);

  afterAll(async () => {
    await appliance?.close();
    await removeLab();
  }, 60_000);

  it('balances both clients over alpha, bravo and charlie', async () => {
    await until('every Layer 7 server green', async () => {
      const colours = await Promise.all(topology.realServers.map((rs) => colourOf(rs.label)));
      return colours.every((c) => c === 'green') ? true : undefined;
    });
    for (const client of clients(topology)) {
      const t = await untilTraffic(`${client.label} through HAProxy`, client, url(), 6, (x) => balancedOver(x, PAGES));
      expect(Object.keys(t.names).sort()).toEqual(PAGES);
    }
  });

  it('takes a server offline through the runtime API (blue, no traffic) and back online', async () => {
    const path = '/runtime/layer7/services/lab-l7/real-servers/bravo';
    await appliance.api.call('POST', path, { state: 'offline' });
    await until('bravo blue', async () => ((await colourOf('bravo')) === 'blue' ? true : undefined));
    for (const client of clients(topology)) {
      const t = await tally(client, url(), 6);
      expect(t).toMatchObject({ errors: 0 });
      expect(t.names.bravo_server).toBeUndefined();
    }
    await appliance.api.call('POST', path, { state: 'online' });
    await until('bravo green', async () => ((await colourOf('bravo')) === 'green' ? true : undefined));
    const [first] = clients(topology);
    if (!first) throw new Error('the lab has no client');
    await untilTraffic('bravo back', first, url(), 6, (x) => balancedOver(x, PAGES));
  });
});
