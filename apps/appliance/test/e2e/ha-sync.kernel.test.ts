import type { NamespaceProcess } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LAB_HEALTH_CHECK,
  type LabTopology,
  labCable,
  labGatewayFloatingIp,
  labHeartbeat,
  labLayer4Service,
} from '../../src/lab/index.js';
import type { Layer4Connection } from '../../src/model/engine-status.js';
import { type Appliance, until } from './harness/appliance.js';
import { E2E_PREFIX, freshLab, removeLab, type StatusBody } from './harness/lab.js';
import { diagnosePair, startPair } from './harness/pair.js';
import { clients, heldAnswers, holdConnection, untilTraffic } from './harness/traffic.js';

// Stateful failover: a connection held through a NAT VIP and one through a DR VIP, echoing
// every 50 ms, while the active node dies (daemon and HA engine SIGKILLed) and its cable is pulled. With the
// kernel's connection sync the passive node holds both connections (and the persistence
// templates) when it takes over, and they keep answering on the same connection; without
// it, the new node has never seen them and answers them with a reset.
const SYNC = { interface: 'eth1', syncId: 19 };
const FORWARDINGS = ['dr', 'nat'] as const;

for (const sync of [true, false]) {
  describe(`HA pair, connection sync ${sync ? 'on' : 'off'}`, { timeout: 240_000 }, () => {
    let topology: LabTopology;
    let master: Appliance;
    let slave: Appliance;
    const held: NamespaceProcess[] = [];

    const haState = (node: Appliance) => node.api.get<StatusBody>('/status').then((s) => s.ha);
    const syncState = (node: Appliance) =>
      node.api.get<StatusBody>('/status').then((s) => s.engine.connectionSync?.state);
    const table = (node: Appliance) =>
      node.api.get<{ connections: Layer4Connection[] }>('/reports/connections').then((r) => r.connections);
    /** client1 on the DR VIP, client2 on the NAT VIP. */
    const pairs = () => {
      const [client1, client2] = clients(topology);
      if (!client1 || !client2) throw new Error('the lab has two clients');
      return [
        { client: client1, forwarding: 'dr' as const },
        { client: client2, forwarding: 'nat' as const },
      ];
    };
    const clientAddress = (label: string) =>
      (topology.hosts.find((h) => h.label === label)?.interfaces[0]?.addresses[0] ?? '').split('/')[0] ?? '';
    /** The real server address (as IPVS has it, `address:80`) that a held connection's answers came from. */
    const servedBy = (h: NamespaceProcess, forwarding: 'dr' | 'nat') => {
      const pages = [...heldAnswers(h).servers];
      const rs = topology.realServers.find((r) => r.page === pages[0]);
      if (pages.length !== 1 || !rs) throw new Error(`the held connection was answered by ${pages.join(', ')}`);
      return `${forwarding === 'nat' ? rs.back : rs.front}:80`;
    };
    /** A node's entries for one client: its connection to the VIP and its persistence template. */
    const entries = (rows: Layer4Connection[], client: string, forwarding: 'dr' | 'nat') => {
      const vip = topology.vips[forwarding];
      const mine = rows.filter((c) => c.client.startsWith(`${client}:`) && c.virtual.startsWith(`${vip}:`));
      return {
        connection: mine.find((c) => c.state === 'ESTABLISHED'),
        template: mine.find((c) => c.client === `${client}:0`),
      };
    };

    // Both nodes' view, every channel's log and their connection tables, and what the held connections said.
    const diagnosis = {
      logs: '/logs?limit=30',
      more: async (node: Appliance) => [
        `connections: ${JSON.stringify(await table(node).catch((e: Error) => e.message))}`,
        ...held.map((h) => `held: ${h.log.split('\n').slice(-4).join(' | ')}`),
      ],
    };
    const diagnose = diagnosePair(() => ({ master, slave }), diagnosis);

    beforeAll(async () => {
      topology = await freshLab(true);
      const heartbeat = {
        ...labHeartbeat(topology, 'e2e-heartbeat-key-0123456789'),
        ...(sync ? { connectionSync: SYNC } : {}),
      };
      ({ master, slave } = await startPair(heartbeat, diagnosis));
      await master.api.write('POST', '/health-checks', LAB_HEALTH_CHECK);
      await master.api.write('POST', '/floating-ips', labGatewayFloatingIp(topology));
      for (const forwarding of FORWARDINGS) {
        await master.api.write('POST', '/layer4/services', {
          ...labLayer4Service(topology, forwarding),
          persistence: { timeoutSeconds: 600 },
        });
      }
      const version = await master.api.version();
      await until('slave at the master version', async () =>
        (await slave.api.version()) === version ? true : undefined,
      ).catch(diagnose);
    }, 300_000);

    afterAll(async () => {
      for (const h of held) await h.stop();
      await Promise.all([master?.close(), slave?.close()]);
      await removeLab();
    }, 60_000);

    it(`the sync daemons follow the roles: ${sync ? 'master on the active node, backup on the passive one' : 'none'}`, async () => {
      const want = sync ? ['master', 'backup'] : ['off', 'off'];
      await until('the sync daemons as the roles ask', async () => {
        const states = await Promise.all([syncState(master), syncState(slave)]);
        return states.join() === want.join() ? true : undefined;
      }).catch(diagnose);
    });

    it(
      sync
        ? 'held DR and NAT connections keep answering on the same connection after the active node is killed; the persistence templates survive'
        : 'without sync, the held DR and NAT connections break at the failover (the new node never saw them)',
      async () => {
        for (const { client, forwarding } of pairs()) {
          const url = `http://${topology.vips[forwarding]}/`;
          await untilTraffic(`${client.label} via ${forwarding}`, client, url, 3, (t) => t.errors === 0);
          // A slow UML kernel and TCP's backed-off retransmissions across the outage: an answer may take 30 s.
          held.push(await holdConnection(client, url, 50, 30_000));
        }
        const expected = pairs().map(({ client, forwarding }, i) => ({
          client: clientAddress(client.label),
          forwarding,
          server: servedBy(held[i] as NamespaceProcess, forwarding),
        }));
        // The kernel syncs a connection from its third packet on; with sync, the passive node has both entries.
        const holder = sync ? slave : master;
        await until(`both connections and templates on the ${sync ? 'passive' : 'active'} node`, async () => {
          const rows = await table(holder);
          return expected.every((e) => {
            const { connection, template } = entries(rows, e.client, e.forwarding);
            return connection?.destination === e.server && template?.destination === e.server;
          })
            ? true
            : undefined;
        }).catch(diagnose);
        await master.killNode();
        // The master's machine is gone: its kernel can neither forward nor sync any more.
        await labCable('lb1', 'down', { prefix: E2E_PREFIX });
        await until(
          'the slave active',
          async () => ((await haState(slave)).state === 'active' ? true : undefined),
          30_000,
        ).catch(diagnose);
        const atTakeover = await table(slave);
        // From here on, only the slave can answer.
        const before = held.map((h) => heldAnswers(h).count);

        if (sync) {
          expect(await syncState(slave)).toBe('master');
          for (const e of expected) {
            expect(entries(atTakeover, e.client, e.forwarding).template?.destination, `${e.forwarding} template`).toBe(
              e.server,
            );
          }
          await until(
            'answers on the held connections after the failover',
            async () => (held.every((h, i) => heldAnswers(h).count > (before[i] ?? 0) + 20) ? true : undefined),
            60_000,
          ).catch(diagnose);
          for (const [i, h] of held.entries()) {
            const answers = heldAnswers(h);
            expect(answers.error, `held ${expected[i]?.forwarding}`).toBeUndefined();
            // One connection, so one real server answered all of it.
            expect(answers.servers.size).toBe(1);
          }
          // A new connection from the same client goes where the template says.
          for (const [i, { client, forwarding }] of pairs().entries()) {
            const page = [...heldAnswers(held[i] as NamespaceProcess).servers][0] ?? '';
            await untilTraffic(
              `${client.label} via ${forwarding}: new connections to the same server`,
              client,
              `http://${topology.vips[forwarding]}/`,
              3,
              (t) => t.names[page] === 3,
            );
          }
        } else {
          for (const e of expected) expect(entries(atTakeover, e.client, e.forwarding).template).toBeUndefined();
          await until(
            'the held connections broken',
            async () => (held.every((h) => heldAnswers(h).error !== undefined) ? true : undefined),
            60_000,
          ).catch(diagnose);
          // The slave's kernel has no entry for them and is not asked to schedule a mid-stream packet: a reset.
          for (const h of held) expect(heldAnswers(h).error).toMatch(/^ERROR /);
        }
      },
    );
  });
}
