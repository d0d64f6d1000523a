import { Host } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LAB_HEALTH_CHECK,
  type LabTopology,
  labCable,
  labGatewayFloatingIp,
  labHeartbeat,
  labLayer4Service,
} from '../../src/lab/index.js';
import type { PartStatus } from '../../src/model/engine-status.js';
import { type Appliance, until } from './harness/appliance.js';
import { balancedOver, E2E_PREFIX, freshLab, PAGES, removeLab, type StatusBody } from './harness/lab.js';
import { diagnosePair, startPair } from './harness/pair.js';
import { clients, untilTraffic } from './harness/traffic.js';

// Two balancers with heartbeat: lb1 the master, lb2 the slave. The master dies (its daemon
// and its HA engine SIGKILLed); the slave must take the floating IPs and serve the same
// configuration version.
describe('HA pair', { timeout: 240_000 }, () => {
  let topology: LabTopology;
  let master: Appliance;
  let slave: Appliance;
  const heartbeat = () => labHeartbeat(topology, 'e2e-heartbeat-key-0123456789');
  let atTakeover:
    | { client: string; realServer: string; slaveMacs: string[]; addresses: PartStatus | undefined }
    | undefined;

  const haState = (node: Appliance) => node.api.get<StatusBody>('/status').then((s) => s.ha);
  const diagnosis = { logs: '/logs?channel=heartbeat&limit=20' };
  const holds = async (node: Appliance, address: string) => {
    const { stdout } = await node.host.ip(['-4', '-o', 'addr', 'show']);
    return stdout.includes(` ${address}/`);
  };

  /** Both nodes' HA view, versions, heartbeat log and daemon output: why a pair test failed. */
  const diagnose = diagnosePair(() => ({ master, slave }), diagnosis);

  beforeAll(async () => {
    topology = await freshLab(true);
    ({ master, slave } = await startPair(heartbeat(), diagnosis));
    await master.api.write('POST', '/health-checks', LAB_HEALTH_CHECK);
    await master.api.write('POST', '/floating-ips', labGatewayFloatingIp(topology));
    await master.api.write('POST', '/layer4/services', labLayer4Service(topology, 'dr'));
    await master.api.write('POST', '/layer4/services', labLayer4Service(topology, 'nat'));
  }, 300_000);

  afterAll(async () => {
    await Promise.all([master?.close(), slave?.close()]);
    await removeLab();
  }, 60_000);

  it('replicates every version to the slave, which refuses edits', async () => {
    const version = await master.api.version();
    await until('slave at the master version', async () =>
      (await slave.api.version()) === version ? true : undefined,
    ).catch(diagnose);
    const [m, s] = await Promise.all([
      master.api.get<{ config: unknown }>('/config'),
      slave.api.get<{ config: unknown }>('/config'),
    ]);
    expect(s.config).toEqual(m.config);
    const refused = await slave.api.raw(
      'POST',
      `/layer4/services?version=${version}`,
      labLayer4Service(topology, 'tun'),
    );
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('HA_PASSIVE');
  });

  it('serves clients through the master, which holds the floating IPs', async () => {
    expect(await holds(master, topology.vips.dr)).toBe(true);
    expect(await holds(master, topology.natGateway)).toBe(true);
    expect(await holds(slave, topology.vips.dr)).toBe(false);
    for (const client of clients(topology)) {
      for (const forwarding of ['dr', 'nat'] as const) {
        await untilTraffic(
          `${client.label} via ${forwarding}`,
          client,
          `http://${topology.vips[forwarding]}/`,
          6,
          (t) => balancedOver(t, PAGES),
        );
      }
    }
  });

  it('fails over when the master node dies (daemon and HA engine SIGKILLed): the slave takes the floating IPs and serves the same version', async () => {
    const version = await master.api.version();
    const killedAt = Date.now();
    await master.killNode();
    const tookOver = await until(
      'the slave active with the DR VIP and the NAT gateway',
      async () => {
        const s = await haState(slave);
        return s.state === 'active' &&
          (await holds(slave, topology.vips.dr)) &&
          (await holds(slave, topology.natGateway))
          ? Date.now() - killedAt
          : undefined;
      },
      30_000,
    ).catch(diagnose);
    // What client1 and alpha believe owns the DR VIP and the NAT gateway right after the
    // takeover, while the master's machine is still on the wire (checked by the next test).
    atTakeover = {
      client: await neighbour(`${E2E_PREFIX}client1`, topology.vips.dr),
      realServer: await neighbour(`${E2E_PREFIX}alpha`, topology.natGateway),
      slaveMacs: await macs(slave),
      addresses: (await slave.api.get<StatusBody>('/status')).engine.parts.find((p) => p.part === 'addresses'),
    };
    // The master's machine is gone too: only the slave can carry the traffic now.
    await labCable('lb1', 'down', { prefix: E2E_PREFIX });
    const pulled = Date.now();
    const served: string[] = [];
    const [client1, client2] = clients(topology);
    if (!client1 || !client2) throw new Error('the lab has two clients');
    // Two at a time, each on its own service (round robin stays per client); the clients'
    // stale ARP entries expire in parallel.
    for (const round of [
      [
        [client1, 'dr'],
        [client2, 'nat'],
      ],
      [
        [client1, 'nat'],
        [client2, 'dr'],
      ],
    ] as const) {
      await Promise.all(
        round.map(async ([client, forwarding]) => {
          await untilTraffic(
            `${client.label} via ${forwarding} on the slave`,
            client,
            `http://${topology.vips[forwarding]}/`,
            6,
            (t) => balancedOver(t, PAGES),
            // The slave's gratuitous ARP (next test) moves clients and real servers at once; 30 s
            // leaves room for a slow UML, well under the minute stale ARP entries would take.
            30_000,
          );
          served.push(`${client.label}/${forwarding} ${Date.now() - pulled} ms`);
        }),
      );
    }
    console.log(
      `failover: slave active with the VIPs ${tookOver} ms after SIGKILL; served after the master's cable was pulled: ${served.join(', ')}`,
    );
    const s = await slave.api.get<{ version: number; config: { layer4: { label: string }[] } }>('/config');
    expect(s.version).toBe(version);
    expect(s.config.layer4.map((x) => x.label)).toEqual(['lab-dr', 'lab-nat']);
  });

  it('announces the addresses it took (gratuitous ARP), so clients and real servers switch at once', () => {
    if (!atTakeover) throw new Error('the failover test did not get as far as the takeover');
    const { client, realServer, slaveMacs, addresses } = atTakeover;
    const detail = `addresses part: ${JSON.stringify(addresses)}; client1 ${client}; alpha ${realServer}`;
    expect(addresses?.detail ?? '', detail).not.toContain('announcement failed');
    expect(
      slaveMacs.some((mac) => client.includes(mac)),
      detail,
    ).toBe(true);
    expect(
      slaveMacs.some((mac) => realServer.includes(mac)),
      detail,
    ).toBe(true);
  });
});

/** `ip neigh` of one address in a namespace: `192.0.2.100 dev eth0 lladdr ... STALE`. */
async function neighbour(netns: string, address: string): Promise<string> {
  const { stdout } = await new Host('n', netns).ip(['neigh', 'show', address]);
  return stdout.trim();
}

async function macs(node: Appliance): Promise<string[]> {
  const { stdout } = await node.host.ip(['-br', 'link', 'show']);
  return [...stdout.matchAll(/\b([0-9a-f]{2}(?::[0-9a-f]{2}){5})\b/g)]
    .map((m) => m[1] ?? '')
    .filter((mac) => mac !== '00:00:00:00:00:00');
}
