import type { NamespaceProcess } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_HEALTH_CHECK, type LabTopology, labGatewayFloatingIp, labLayer4Service } from '../../src/lab/index.js';
import { Appliance, until } from './harness/appliance.js';
import { balancedOver, E2E_PREFIX, freshLab, PAGES, removeLab, type StatusBody } from './harness/lab.js';
import { clients, heldAnswers, holdConnection, untilTraffic } from './harness/traffic.js';

// Restarting the daemon (SIGTERM, then serve again on the same data directory) must not
// disturb established connections: the kernel keeps forwarding them while no daemon runs.
describe('daemon restart', { timeout: 240_000 }, () => {
  let topology: LabTopology;
  let appliance: Appliance;
  const held: NamespaceProcess[] = [];

  beforeAll(async () => {
    topology = await freshLab();
    appliance = await Appliance.start(`${E2E_PREFIX}lb`);
    await appliance.api.write('POST', '/health-checks', LAB_HEALTH_CHECK);
    await appliance.api.write('POST', '/floating-ips', labGatewayFloatingIp(topology));
    await appliance.api.write('POST', '/layer4/services', labLayer4Service(topology, 'dr'));
    await appliance.api.write('POST', '/layer4/services', labLayer4Service(topology, 'nat'));
  }, 240_000);

  afterAll(async () => {
    for (const h of held) await h.stop();
    await appliance?.close();
    await removeLab();
  }, 60_000);

  it('keeps established DR and NAT connections working across SIGTERM and start', async () => {
    const [client1, client2] = clients(topology);
    if (!client1 || !client2) throw new Error('the lab has two clients');
    for (const [client, forwarding] of [
      [client1, 'dr'],
      [client2, 'nat'],
    ] as const) {
      await untilTraffic(`${forwarding} serves`, client, `http://${topology.vips[forwarding]}/`, 3, (t) =>
        balancedOver(t, PAGES),
      );
      held.push(await holdConnection(client, `http://${topology.vips[forwarding]}/`));
    }
    const versionBefore = (await appliance.api.get<StatusBody>('/status')).configVersion;

    const code = await appliance.stopDaemon('SIGTERM');
    expect(code).toBe(0);
    // While no daemon runs, the held connections still get answers.
    const during = held.map((h) => heldAnswers(h).count);
    await until('answers while the daemon is down', async () =>
      held.every((h, i) => heldAnswers(h).count > (during[i] ?? 0) + 3) ? true : undefined,
    );
    await appliance.startDaemon();
    await appliance.relogin();
    const after = held.map((h) => heldAnswers(h).count);
    await until('answers after the restart', async () =>
      held.every((h, i) => heldAnswers(h).count > (after[i] ?? 0) + 5) ? true : undefined,
    );

    for (const h of held) {
      const answers = heldAnswers(h);
      expect(answers.error).toBeUndefined();
      // One connection, so one real server answered all of it.
      expect(answers.servers.size).toBe(1);
    }
    expect((await appliance.api.get<StatusBody>('/status')).configVersion).toBe(versionBefore);
    // New connections are balanced as before.
    await untilTraffic('new connections after the restart', client1, `http://${topology.vips.dr}/`, 6, (t) =>
      balancedOver(t, PAGES),
    );
  });
});
