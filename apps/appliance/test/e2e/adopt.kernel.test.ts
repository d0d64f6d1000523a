// Moving a live box to the appliance without a flush: a table loaded with `ipvsadm -R` and
// its addresses put up by hand (as an ipvsadm script or keepalived left them) serve a client
// that holds one connection; the appliance starts on that box, takes the table from its own
// `ipvsadm -Sn` save through the import (POST /config/import/apply, as the web UI and
// `sluice-appliance import --apply` do), and adopts the addresses. The daemon runs under
// strace, so the count of netlink writes is the kernel's side of the socket, not the
// appliance's own report: zero for the start, the import and the addresses; then a real
// change is counted, so the count can fail.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host, type NamespaceProcess } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LabTopology, labGatewayFloatingIp } from '../../src/lab/index.js';
import { PAGE_PORT } from '../../src/lab/page-server.js';
import { Appliance, until } from './harness/appliance.js';
import { balancedOver, E2E_PREFIX, freshLab, PAGES, removeLab } from './harness/lab.js';
import { netlinkWrites, total } from './harness/netlink-writes.js';
import { clients, heldAnswers, holdConnection, untilTraffic } from './harness/traffic.js';

const LB = `${E2E_PREFIX}lb`;

describe('adopting a live IPVS table and its addresses', { timeout: 600_000 }, () => {
  let topology: LabTopology;
  let appliance: Appliance;
  let lb: Host;
  let trace: string;
  const held: NamespaceProcess[] = [];
  const report: Record<string, unknown> = {};

  /** The trace so far (strace writes it as the daemon goes). */
  const writes = () => netlinkWrites(readFileSync(trace, 'utf8'));
  const table = async () => (await lb.exec('ipvsadm', ['-Sn'])).stdout;

  beforeAll(async () => {
    topology = await freshLab();
    lb = new Host('lb', LB);
    const { vips, realServers, balancerInterface } = topology;
    // What the box ran before the appliance: its table, restored from a script, and its
    // addresses (the DR VIP as keepalived adds one, a /32; the NAT gateway on the back network).
    const script = [
      `-A -t ${vips.dr}:${PAGE_PORT} -s wrr`,
      ...realServers.map((rs) => `-a -t ${vips.dr}:${PAGE_PORT} -r ${rs.front}:${PAGE_PORT} -g -w 1`),
      `-A -t ${vips.nat}:${PAGE_PORT} -s rr -p 300`,
      ...realServers.map((rs, i) => `-a -t ${vips.nat}:${PAGE_PORT} -r ${rs.back}:${PAGE_PORT} -m -w ${i + 1}`),
    ].join('\n');
    await lb.exec('sh', ['-c', `printf '%s\\n' "$1" | ipvsadm -R`, 'restore', script]);
    await lb.ip(['addr', 'add', `${vips.dr}/32`, 'dev', balancerInterface.front]);
    await lb.ip(['addr', 'add', `${vips.nat}/32`, 'dev', balancerInterface.front]);
    await lb.ip(['addr', 'add', labGatewayFloatingIp(topology).address, 'dev', balancerInterface.back]);
    await lb.sysctl('net.ipv4.ip_forward', 1);
  }, 120_000);

  afterAll(async () => {
    for (const h of held) await h.stop();
    await appliance?.close();
    await removeLab();
    console.log(`adoption: ${JSON.stringify(report, null, 2)}`);
  }, 60_000);

  it('serves before the appliance runs: a client holds a connection through each VIP', async () => {
    const [client1, client2] = clients(topology);
    if (!client1 || !client2) throw new Error('the lab has two clients');
    await untilTraffic('DR serves', client1, `http://${topology.vips.dr}/`, 3, (t) => balancedOver(t, PAGES));
    held.push(await holdConnection(client1, `http://${topology.vips.dr}/`));
    held.push(await holdConnection(client2, `http://${topology.vips.nat}/`));
  });

  it('starts on the live box, imports its own ipvsadm -Sn save and adopts the addresses with zero netlink writes', async () => {
    const before = await table();
    const addresses = async () =>
      (await lb.ip(['-o', 'addr', 'show'])).stdout
        .split('\n')
        .map((line) => line.replace(/\s+valid_lft.*$/, '').trim())
        .filter(Boolean)
        .sort();
    const addressesBefore = await addresses();
    trace = join(mkdtempSync(join(tmpdir(), 'sluice-adopt-')), 'daemon.strace');
    // The package's daemon as installed starts with a new, empty configuration: its
    // ownership is `own`, so a table it did not make is not flushed.
    appliance = await Appliance.start(LB, [], {
      wrap: [
        'strace',
        '-f',
        '--seccomp-bpf',
        '-e',
        'trace=sendto,sendmsg',
        '-e',
        'verbose=all',
        '-s',
        '256',
        '-o',
        trace,
      ],
    });
    expect(await table()).toBe(before);

    // The floating IP the admin gives the NAT arm: already up on the back interface.
    await appliance.api.write('POST', '/floating-ips', labGatewayFloatingIp(topology));
    // The box's own save, imported as the web UI and `sluice-appliance import --apply` do.
    const body = { format: 'ipvsadm', file: '/root/ipvs.save', files: { '/root/ipvs.save': before } };
    const preview = await appliance.api.call<{ errors: unknown[]; notes: unknown[] }>('POST', '/config/import', body);
    expect(preview.errors).toEqual([]);
    report.importNotes = preview.notes;
    await appliance.api.write('POST', '/config/import/apply', body);
    const status = await appliance.api.get<{ engine: { parts: { part: string; state: string; detail?: string }[] } }>(
      '/status',
    );
    const parts = Object.fromEntries(status.engine.parts.map((p) => [p.part, `${p.state} ${p.detail ?? ''}`.trim()]));
    expect({ layer4: parts.layer4, addresses: parts.addresses }).toEqual({ layer4: 'applied', addresses: 'applied' });
    // Two of the engine's drift checks (every 5 s) look at the adopted table and addresses:
    // reads, nothing to repair.
    await new Promise((resolve) => setTimeout(resolve, 12_000));

    expect(await table()).toBe(before);
    expect(await addresses()).toEqual(addressesBefore);
    const counted = writes();
    report.adoption = counted;
    // The trace saw the daemon talk to IPVS (it read the table), and write nothing.
    expect(counted.ipvsMessages).toBeGreaterThan(0);
    expect(counted.ipvs).toEqual({});
    expect(counted.rtnetlink).toEqual({});
    // The held connections were answered throughout, each by one real server.
    for (const h of held) {
      const answers = heldAnswers(h);
      expect(answers.error).toBeUndefined();
      expect(answers.servers.size).toBe(1);
    }
  });

  it('counts a real change: a weight and a new floating IP are one write each, and the connections hold', async () => {
    const counts = held.map((h) => heldAnswers(h).count);
    const { item: dr } = await appliance.api.call<{ item: { realServers: { weight?: number }[] } }>(
      'GET',
      `/layer4/services/${encodeURIComponent(await labelOf(topology.vips.dr))}`,
    );
    const changed = structuredClone(dr);
    const first = changed.realServers[0];
    if (!first) throw new Error('the imported DR service has real servers');
    first.weight = 5;
    await appliance.api.write(
      'PUT',
      `/layer4/services/${encodeURIComponent(await labelOf(topology.vips.dr))}`,
      changed,
    );
    await appliance.api.write('POST', '/floating-ips', {
      address: `${topology.vips.dr.split('.').slice(0, 3).join('.')}.250/32`,
      interface: topology.balancerInterface.front,
    });
    const counted = writes();
    report.change = counted;
    expect(counted.ipvs).toEqual({ SET_DEST: 1 });
    expect(counted.rtnetlink).toEqual({ RTM_NEWADDR: 1 });
    expect(total(counted.ipvs) + total(counted.rtnetlink)).toBe(2);
    await until('answers after the change', async () =>
      held.every((h, i) => heldAnswers(h).count > (counts[i] ?? 0) + 3) ? true : undefined,
    );
    for (const h of held) expect(heldAnswers(h).error).toBeUndefined();
  });

  /** The label the import gave the service of `vip`. */
  async function labelOf(vip: string): Promise<string> {
    const { config } = await appliance.api.get<{ config: { layer4: { label: string; vip: string }[] } }>('/config');
    const found = config.layer4.find((s) => s.vip === vip);
    if (!found) throw new Error(`no imported service for ${vip}`);
    return found.label;
  }
});
