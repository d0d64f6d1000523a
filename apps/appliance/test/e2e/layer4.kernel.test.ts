import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LAB_HEALTH_CHECK,
  type LabTopology,
  labGatewayFloatingIp,
  labLayer4Service,
  labWeb,
  offlineCommand,
} from '../../src/lab/index.js';
import type { RealServerStatus } from '../../src/model/engine-status.js';
import { Appliance, until } from './harness/appliance.js';
import { balancedOver, E2E_PREFIX, freshLab, PAGES, removeLab, serverStatus } from './harness/lab.js';
import { clients, untilTraffic } from './harness/traffic.js';

// The lab's single balancer runs the real daemon; DR, NAT and TUN services are created
// through the REST API and must serve both client namespaces through the real IPVS.
describe('Layer 4 services made through the API', { timeout: 240_000 }, () => {
  let topology: LabTopology;
  let appliance: Appliance;
  const url = (forwarding: 'dr' | 'nat' | 'tun') => `http://${topology.vips[forwarding]}/`;

  /** Waits until every server of a service is up and green (health checks ran). */
  const allGreen = (service: string) =>
    until(
      `every real server of ${service} green`,
      async () => {
        for (const rs of topology.realServers) {
          const status = await serverStatus(appliance.api, 'layer4', service, rs.label);
          if (status?.colour !== 'green') return undefined;
        }
        return true;
      },
      30_000,
    );

  /** Waits for a real server's status to satisfy `accept`; the error shows the last one seen. */
  const untilStatus = async (service: string, server: string, accept: (s: RealServerStatus) => boolean) => {
    let last: RealServerStatus | undefined;
    return until(`${service}/${server} status`, async () => {
      last = await serverStatus(appliance.api, 'layer4', service, server);
      return last && accept(last) ? last : undefined;
    }).catch((error: Error) => {
      throw new Error(`${error.message}; last status: ${JSON.stringify(last)}`);
    });
  };

  /** Rethrows with the balancer's IPVS table, so a failure shows what the kernel really holds. */
  const withIpvs = async (error: Error): Promise<never> => {
    const table = await appliance.host.exec('ipvsadm', ['-Ln']).then(
      (r) => r.stdout,
      (e: Error) => e.message,
    );
    throw new Error(`${error.message}\nipvsadm -Ln in the balancer:\n${table}`);
  };

  beforeAll(async () => {
    topology = await freshLab();
    appliance = await Appliance.start(`${E2E_PREFIX}lb`);
    await appliance.api.write('POST', '/health-checks', LAB_HEALTH_CHECK);
    await appliance.api.write('POST', '/floating-ips', labGatewayFloatingIp(topology));
    for (const forwarding of ['dr', 'nat', 'tun'] as const) {
      await appliance.api.write('POST', '/layer4/services', labLayer4Service(topology, forwarding));
    }
  }, 240_000);

  afterAll(async () => {
    await appliance?.close();
    await removeLab();
  }, 60_000);

  for (const forwarding of ['dr', 'nat', 'tun'] as const) {
    it(`${forwarding.toUpperCase()}: both clients are balanced over alpha, bravo and charlie`, async () => {
      await allGreen(`lab-${forwarding}`);
      for (const client of clients(topology)) {
        const t = await untilTraffic(`${client.label} through ${forwarding}`, client, url(forwarding), 6, (x) =>
          balancedOver(x, PAGES),
        );
        expect(t.names).toEqual({ alpha_server: 2, bravo_server: 2, charlie_server: 2 });
      }
    });
  }

  it('taking a server offline moves traffic away and shows it blue; online brings it back', async () => {
    await allGreen('lab-dr');
    const path = '/runtime/layer4/services/lab-dr/real-servers/alpha';
    await appliance.api.call('POST', path, { state: 'offline' });
    await untilStatus('lab-dr', 'alpha', (s) => s.colour === 'blue');
    for (const client of clients(topology)) {
      const t = await untilTraffic(`${client.label} avoids alpha`, client, url('dr'), 6, (x) =>
        balancedOver(x, ['bravo_server', 'charlie_server']),
      ).catch(withIpvs);
      expect(t.names).toEqual({ bravo_server: 3, charlie_server: 3 });
    }
    // Offline takes the destination out of the kernel: the status reports weight 0 for it.
    const status = await untilStatus('lab-dr', 'alpha', (s) => s.effectiveWeight === 0).catch(withIpvs);
    expect(status).toMatchObject({ admin: 'offline', colour: 'blue', effectiveWeight: 0 });
    await appliance.api.call('POST', path, { state: 'online' });
    await allGreen('lab-dr');
    const [first] = clients(topology);
    if (!first) throw new Error('the lab has no client');
    await untilTraffic('alpha back', first, url('dr'), 6, (x) => balancedOver(x, PAGES));
  });

  it('a server whose web server stops turns red and loses its traffic; restarted it is green again', async () => {
    await allGreen('lab-nat');
    await labWeb('charlie', 'stop', { prefix: E2E_PREFIX });
    try {
      const red = await untilStatus('lab-nat', 'charlie', (s) => s.colour === 'red' && s.effectiveWeight === 0).catch(
        withIpvs,
      );
      expect(red).toMatchObject({ health: 'down', admin: 'online', effectiveWeight: 0 });
      for (const client of clients(topology)) {
        const t = await untilTraffic(`${client.label} avoids charlie`, client, url('nat'), 6, (x) =>
          balancedOver(x, ['alpha_server', 'bravo_server']),
        );
        expect(t.names.charlie_server).toBeUndefined();
      }
    } finally {
      await labWeb('charlie', 'start', { prefix: E2E_PREFIX });
    }
    await allGreen('lab-nat');
    for (const client of clients(topology)) {
      await untilTraffic(`${client.label} reaches charlie again`, client, url('nat'), 6, (x) => balancedOver(x, PAGES));
    }
  });

  it('the offline command that lab up prints works (the local CLI token, curl inside the balancer)', async () => {
    await allGreen('lab-tun');
    const token = readFileSync(join(appliance.dataDir, 'cli.token'), 'utf8').trim();
    const curl = async (state: string) => {
      // offlineCommand() with the token read here instead of by the shell's $(cat ...).
      const printed = offlineCommand(topology, 'lab-tun', 'bravo', state).join(' ');
      const url = /http:\/\/\S+/.exec(printed)?.[0] ?? '';
      expect(printed).toContain('/cli.token');
      const { stdout } = await appliance.host.exec('curl', [
        '-s',
        '-w',
        '\n%{http_code}',
        '-X',
        'POST',
        '-H',
        `authorization: Bearer ${token}`,
        '-H',
        'content-type: application/json',
        '-d',
        JSON.stringify({ state }),
        url,
      ]);
      return stdout.trim().split('\n').pop();
    };
    expect(await curl('offline')).toMatch(/^2\d\d$/);
    for (const client of clients(topology)) {
      await untilTraffic(`${client.label} avoids bravo`, client, url('tun'), 6, (x) =>
        balancedOver(x, ['alpha_server', 'charlie_server']),
      ).catch(withIpvs);
    }
    expect(await curl('online')).toMatch(/^2\d\d$/);
    const [first] = clients(topology);
    if (!first) throw new Error('the lab has no client');
    await untilTraffic('bravo back', first, url('tun'), 6, (x) => balancedOver(x, PAGES));
  });

  it("/metrics: the kernel's IPVS counters under node_exporter's names grow with traffic through a VIP", async () => {
    await allGreen('lab-nat');
    type Family = {
      name: string;
      type: string;
      metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string> }[];
    };
    const scrape = async () => {
      const answer = await appliance.api.rootGet('/metrics');
      expect(answer.status).toBe(200);
      return parsePrometheusTextFormat(answer.text) as Family[];
    };
    const value = (families: Family[], name: string, labels: Record<string, string>) => {
      const want = JSON.stringify(Object.entries(labels).sort());
      const found = families
        .find((f) => f.name === name)
        ?.metrics.find((m) => JSON.stringify(Object.entries(m.labels ?? {}).sort()) === want);
      return found?.value === undefined ? undefined : Number(found.value);
    };
    // NAT: replies come back through the balancer, so both directions count.
    const backend = (rs: { back: string }) => ({
      local_address: topology.vips.nat,
      local_port: '80',
      remote_address: rs.back,
      remote_port: '80',
      proto: 'TCP',
      local_mark: '',
    });
    const before = await scrape();
    const servers = topology.realServers;
    for (const rs of servers) expect(value(before, 'node_ipvs_backend_weight', backend(rs))).toBe(1);
    const total = (families: Family[], name: string) => value(families, name, {}) ?? Number.NaN;
    const backends = (families: Family[], name: string) =>
      servers.map((rs) => value(families, name, backend(rs)) ?? Number.NaN);
    const [first] = clients(topology);
    if (!first) throw new Error('the lab has no client');
    await untilTraffic('traffic through NAT for /metrics', first, url('nat'), 6, (x) => balancedOver(x, PAGES));
    // The engine reads the kernel every couple of seconds: wait for a reading taken after the traffic.
    const after = await until('IPVS counters after the traffic', async () => {
      const m = await scrape();
      const grown = backends(m, 'sluice_ipvs_backend_connections_total').every(
        (n, i) => n >= (backends(before, 'sluice_ipvs_backend_connections_total')[i] ?? 0) + 2,
      );
      return grown ? m : undefined;
    });
    for (const name of ['sluice_ipvs_backend_incoming_packets_total', 'sluice_ipvs_backend_outgoing_packets_total']) {
      backends(after, name).forEach((n, i) => {
        expect(n, `${name} of ${servers[i]?.label}`).toBeGreaterThan(backends(before, name)[i] ?? 0);
      });
    }
    for (const name of [
      'node_ipvs_connections_total',
      'node_ipvs_incoming_bytes_total',
      'node_ipvs_outgoing_bytes_total',
    ]) {
      expect(total(after, name), name).toBeGreaterThan(total(before, name));
    }
    // Each connection closed is in TIME_WAIT for a while: counted inactive (or still active).
    const lingering = servers.map(
      (rs) =>
        (value(after, 'node_ipvs_backend_connections_active', backend(rs)) ?? 0) +
        (value(after, 'node_ipvs_backend_connections_inactive', backend(rs)) ?? 0),
    );
    for (const n of lingering) expect(n).toBeGreaterThan(0);
    // The health checks and the applies behind this lab were timed.
    const checks = after.find((f) => f.name === 'sluice_health_check_duration_seconds');
    expect(checks?.type).toBe('HISTOGRAM');
    expect(after.find((f) => f.name === 'sluice_engine_apply_duration_seconds')?.type).toBe('HISTOGRAM');
  });
});
