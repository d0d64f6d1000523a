import { execFile } from 'node:child_process';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TPROXY_TABLE } from '../../src/engine/layer7/tproxy-routing.js';
import type { EngineStatus } from '../../src/model/engine-status.js';
import { until } from './harness/appliance.js';
import { serverStatus } from './harness/lab.js';
import { OutsideAppliance, ownAddresses } from './harness/outside.js';

// `serve --netns NAME` run from the test's own namespace, as on a host whose data plane
// lives in a namespace: the VIP (in 203.0.113.0/24, a network no host interface has) goes
// onto the namespace's interface and is announced there, never onto the daemon's own
// namespace, and a client reaches HAProxy on it; the health checks run there too, and
// TPROXY's routing is set up there. (IPVS is absent from this kernel: traffic goes through
// Layer 7 services; the Layer 4 service is there for its health checks.)
const VIP = '203.0.113.10';
const L4_VIP = '203.0.113.11';
const PORT = 8080;
const TPROXY_PORT = 8081;

describe('serve --netns: everything that touches the network is in the namespace', { timeout: 240_000 }, () => {
  let lab: Lab;
  let client: Host;
  let lb: Host;
  let lbFront: string;
  let appliance: OutsideAppliance | undefined;

  beforeAll(async () => {
    // The guard first: the test would prove nothing (and a bug could not be told) if the
    // daemon's own namespace already had the VIP's network.
    expect(await ownAddresses()).not.toContain('203.0.113.');
    lab = await Lab.create();
    client = await lab.host('client');
    lb = await lab.host('lb');
    const server = await lab.host('alpha');
    const front = await lab.link(client, lb, { aAddrs: ['203.0.113.2/24'], bAddrs: ['203.0.113.1/24'] });
    lbFront = front.bIf;
    await lab.link(lb, server, { aAddrs: ['198.51.100.1/24'], bAddrs: ['198.51.100.11/24'] });
    await server.serveHttp({ name: 'alpha_server', port: PORT });
    // TPROXY: the real server answers the client's own address, through the balancer.
    await server.addRoute('203.0.113.0/24', '198.51.100.1');
    // The client learns a neighbour from a gratuitous ARP it did not ask for.
    await client.sysctl(`net.ipv4.conf.${front.aIf}.arp_accept`, 1);
    appliance = await OutsideAppliance.start(lb.netns);
    await appliance.api.write('POST', '/layer7/services', {
      label: 'web',
      vip: VIP,
      ports: [PORT],
      mode: 'http',
      realServers: [{ label: 'alpha', address: '198.51.100.11', port: PORT }],
    });
    await appliance.api.write('POST', '/layer7/services', {
      label: 'transparent',
      vip: VIP,
      ports: [TPROXY_PORT],
      mode: 'http',
      tproxy: true,
      realServers: [{ label: 'alpha', address: '198.51.100.11', port: PORT }],
    });
    await appliance.api.write('POST', '/health-checks', {
      label: 'page',
      type: 'http',
      path: '/',
      expectStatus: 200,
      intervalSeconds: 1,
      timeoutSeconds: 3,
      rise: 1,
      fall: 1,
    });
    await appliance.api.write('POST', '/layer4/services', {
      label: 'l4',
      vip: L4_VIP,
      ports: [PORT],
      protocol: 'tcp',
      forwarding: 'nat',
      scheduler: 'rr',
      healthCheck: 'page',
      realServers: [{ label: 'alpha', address: '198.51.100.11' }],
    });
  }, 240_000);

  afterAll(async () => {
    await appliance?.close();
    await lab?.destroy();
  }, 60_000);

  it('puts the VIP on the namespace interface whose network holds it, and nowhere else', async () => {
    const status = await appliance?.api.get<{ engine: EngineStatus }>('/status');
    const addresses = status?.engine.parts.find((p) => p.part === 'addresses');
    expect(addresses?.state, appliance?.log).toBe('applied');
    expect(addresses?.detail).toBeUndefined();
    const { stdout } = await lb.ip(['-o', 'addr', 'show', 'dev', lbFront]);
    expect(stdout).toContain(`inet ${VIP}/24`);
    expect(stdout).toContain(`inet ${L4_VIP}/24`);
    expect(await ownAddresses()).not.toContain('203.0.113.');
  });

  it('announces the VIP on the namespace network (gratuitous ARP from the namespace interface)', async () => {
    const { stdout: link } = await lb.ip(['-o', 'link', 'show', 'dev', lbFront]);
    const mac = /link\/ether ([0-9a-f:]{17})/.exec(link)?.[1];
    expect(mac).toBeDefined();
    // The announcement goes out in the background after the apply: wait for it, not for a time.
    const neigh = await until('the client has the VIP as a neighbour', async () => {
      const { stdout } = await client.ip(['neigh', 'show', VIP]);
      return stdout.includes('lladdr') ? stdout : undefined;
    });
    expect(neigh).toContain(`lladdr ${mac}`);
  });

  it('serves a client on the VIP through HAProxy in the namespace', async () => {
    const pages = await until('the client reaches the VIP', async () => {
      const got = await client.httpGet(`http://${VIP}:${PORT}/`, 2).catch(() => undefined);
      return got?.every((p) => p === 'alpha_server') ? got : undefined;
    });
    expect(pages).toEqual(['alpha_server', 'alpha_server']);
  });

  it('runs the health checks from the namespace, where the real server is reachable', async () => {
    const health = await until('alpha checked up', async () => {
      const status = await serverStatus(
        appliance?.api as NonNullable<typeof appliance>['api'],
        'layer4',
        'l4',
        'alpha',
      );
      return status?.health === 'up' ? status.health : undefined;
    });
    expect(health).toBe('up');
  });

  it('sets up TPROXY routing in the namespace, not in its own, and the replies come back', async () => {
    const pages = await until('the client reaches the TPROXY service', async () => {
      const got = await client.httpGet(`http://${VIP}:${TPROXY_PORT}/`, 2).catch(() => undefined);
      return got?.every((p) => p === 'alpha_server') ? got : undefined;
    });
    expect(pages).toEqual(['alpha_server', 'alpha_server']);
    expect((await lb.ip(['rule', 'show'])).stdout).toContain(`lookup ${TPROXY_TABLE}`);
    const own = await new Promise<string>((resolve, reject) =>
      execFile('ip', ['rule', 'show'], { encoding: 'utf8' }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
    expect(own).not.toContain(`lookup ${TPROXY_TABLE}`);
  });
});
