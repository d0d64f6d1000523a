import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MasterClient } from '@sluice/haproxy-config';
import { Host, type NamespaceProcess } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_HEALTH_CHECK, type LabTopology, labGatewayFloatingIp, labLayer4Service } from '../../src/lab/index.js';
import { Appliance, until } from './harness/appliance.js';
import { balancedOver, E2E_PREFIX, freshLab, PAGES, removeLab, type StatusBody } from './harness/lab.js';
import { clients, heldAnswers, holdConnection, untilTraffic } from './harness/traffic.js';

const SLOW_SERVER = fileURLToPath(new URL('./fixtures/slow-download.mjs', import.meta.url));
const DOWNLOAD = fileURLToPath(new URL('./fixtures/download.mjs', import.meta.url));
/** At 40 KiB/s (slow-download.mjs), minutes: still running when the daemon is back. */
const DOWNLOAD_BYTES = 16 * 1024 * 1024;
const SLOW_PORT = 8090;

const received = (download: NamespaceProcess): number =>
  Math.max(0, ...[...download.log.matchAll(/^BYTES (\d+)$/gm)].map((m) => Number(m[1])));

// Restarting the daemon (SIGTERM, then serve again on the same data directory) must not
// disturb established connections: the kernel keeps forwarding them while no daemon runs,
// and HAProxy, the data plane of Layer 7, keeps running and is adopted by the next start.
describe('daemon restart', { timeout: 240_000 }, () => {
  let topology: LabTopology;
  let appliance: Appliance;
  const held: NamespaceProcess[] = [];
  let slowServer: NamespaceProcess | undefined;

  beforeAll(async () => {
    topology = await freshLab();
    appliance = await Appliance.start(`${E2E_PREFIX}lb`);
    await appliance.api.write('POST', '/health-checks', LAB_HEALTH_CHECK);
    await appliance.api.write('POST', '/floating-ips', labGatewayFloatingIp(topology));
    await appliance.api.write('POST', '/layer4/services', labLayer4Service(topology, 'dr'));
    await appliance.api.write('POST', '/layer4/services', labLayer4Service(topology, 'nat'));
    const alpha = topology.realServers[0];
    const alphaHost = topology.hosts.find((h) => h.label === alpha?.label);
    if (!alpha || !alphaHost) throw new Error('the lab has a real server alpha');
    slowServer = new Host(alphaHost.label, alphaHost.netns).spawn(process.execPath, [
      SLOW_SERVER,
      alpha.front,
      String(SLOW_PORT),
      String(DOWNLOAD_BYTES),
    ]);
    await slowServer.waitForLine('READY', 30_000);
    await appliance.api.write('POST', '/layer7/services', {
      label: 'slow',
      vip: topology.vips.layer7,
      ports: [SLOW_PORT],
      mode: 'http',
      realServers: [{ label: alpha.label, address: alpha.front, port: SLOW_PORT }],
    });
  }, 240_000);

  afterAll(async () => {
    for (const h of held) await h.stop();
    await slowServer?.stop();
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

  it('keeps a Layer 7 download running across SIGTERM and start: the next start adopts the same HAProxy', async () => {
    const [client] = clients(topology);
    if (!client || !slowServer) throw new Error('the lab has a client and the slow server runs');
    const master = new MasterClient({ socketPath: join(appliance.dataDir, 'run', 'haproxy', 'master.sock') });
    const masterPid = async () => (await master.showProc()).find((p) => p.role === 'master')?.pid;
    const before = await until('HAProxy runs', masterPid);

    const started = slowServer.waitForLine('STARTED', 30_000);
    const download = client.spawn(process.execPath, [DOWNLOAD, `http://${topology.vips.layer7}:${SLOW_PORT}/`]);
    held.push(download);
    await started;
    await until('the download under way', async () => (received(download) > 0 ? true : undefined));

    expect(await appliance.stopDaemon('SIGTERM')).toBe(0);
    const during = received(download);
    await until('bytes while the daemon is down', async () =>
      received(download) > during + 4 * 65_536 ? true : undefined,
    );
    await appliance.startDaemon();
    await appliance.relogin();
    const after = received(download);
    await until('bytes after the restart', async () => (received(download) > after + 4 * 65_536 ? true : undefined));
    // The same HAProxy master: adopted, not started again.
    expect(await masterPid()).toBe(before);

    const done = download.waitForLine('DONE', 60_000);
    process.kill(slowServer.pid as number, 'SIGUSR2');
    expect(await done).toBe(`${DOWNLOAD_BYTES} intact`);
    expect(download.log).not.toContain('ERROR');
  });
});
