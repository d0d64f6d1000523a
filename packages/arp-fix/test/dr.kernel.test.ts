import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apply,
  type ChangeRecord,
  detectStuck,
  inspect,
  LinuxSystem,
  parseIpvsConn,
  parseIpvsServices,
  probe,
  revert,
} from '../src/index.js';

// Direct Routing on one segment: client, director (VIP on eth0, IPVS), rs1 (fixed), rs2.
const VIP = '192.0.2.10';
const VIP6 = '2001:db8::10';
const CONNECT = fileURLToPath(new URL('./fixtures/connect.mjs', import.meta.url));
let lab: Lab;
let client: Host;
let director: Host;
let rs1: Host;
let rs2: Host;
let root: string;
const macs: Record<string, string> = {};

const system = (host: Host) => new LinuxSystem({ root, netns: host.netns });

async function mac(host: Host): Promise<string> {
  const [link] = JSON.parse((await host.ip(['-j', 'link', 'show', 'eth0'])).stdout) as { address: string }[];
  return link?.address ?? '';
}

async function snapshot(host: Host): Promise<string> {
  const sysctls = await host.exec('sysctl', ['-a', '-r', '^net\\.ipv[46]\\.conf\\.']);
  const addrs = (await host.ip(['-o', 'addr', 'show'])).stdout
    .split('\n')
    .filter((line) => !line.includes('scope link'))
    .join('\n');
  const rules = await host.exec('nft', ['list', 'ruleset']);
  return `${sysctls.stdout}\n${addrs}\n${rules.stdout}`;
}

async function whoHasVip(vip = VIP) {
  return probe(system(client), {
    vip,
    interface: 'eth0',
    seconds: 2,
    known: { director: macs.director ?? '', rs1: macs.rs1 ?? '', rs2: macs.rs2 ?? '' },
    realServers: ['rs1', 'rs2'],
  });
}

beforeAll(async () => {
  lab = await Lab.create();
  const sw = await lab.switch('sw');
  client = await lab.host('client');
  director = await lab.host('director');
  rs1 = await lab.host('rs1');
  rs2 = await lab.host('rs2');
  await lab.attach(client, sw, ['192.0.2.1/24', '2001:db8::1/64'], 'eth0');
  await lab.attach(director, sw, ['192.0.2.2/24', `${VIP}/24`, '2001:db8::2/64', `${VIP6}/64`], 'eth0');
  await lab.attach(rs1, sw, ['192.0.2.21/24', '2001:db8::21/64'], 'eth0');
  await lab.attach(rs2, sw, ['192.0.2.22/24', '2001:db8::22/64'], 'eth0');
  for (const [name, host] of Object.entries({ director, rs1, rs2 })) macs[name] = await mac(host);
  await director.exec('ipvsadm', ['-A', '-t', `${VIP}:80`, '-s', 'rr']);
  await director.exec('ipvsadm', ['-a', '-t', `${VIP}:80`, '-r', '192.0.2.21:80', '-g']);
  await director.exec('ipvsadm', ['-a', '-t', `${VIP}:80`, '-r', '192.0.2.22:80', '-g']);
  await director.exec('ipvsadm', ['-A', '-t', `[${VIP6}]:80`, '-s', 'rr']);
  await director.exec('ipvsadm', ['-a', '-t', `[${VIP6}]:80`, '-r', '[2001:db8::21]:80', '-g']);
  await director.exec('ipvsadm', ['-a', '-t', `[${VIP6}]:80`, '-r', '[2001:db8::22]:80', '-g']);
  // `::` takes IPv4 as well (not v6only).
  await rs1.serveHttp({ name: 'rs1', port: 80, address: '::' });
  await rs2.serveHttp({ name: 'rs2', port: 80, address: '::' });
  root = await mkdtemp(join(tmpdir(), 'arpfix-k-'));
  await apply(system(rs1), { vips: [VIP, VIP6], method: 'arp' });
}, 120_000);

afterAll(async () => {
  await lab?.destroy();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('Direct Routing with one real server unfixed', () => {
  it('rs2 without the VIP: its connections hang in SYN_RECV on the director, and are detected', async () => {
    // The client's router learnt the director's MAC (as after a clean ARP exchange).
    await client.ip(['neigh', 'replace', VIP, 'lladdr', macs.director ?? '', 'dev', 'eth0', 'nud', 'permanent']);
    const { stdout } = await client.node(CONNECT, [VIP, '80', '6', '1500'], 60_000);
    const connected = JSON.parse(stdout) as boolean[];
    expect(connected.filter(Boolean)).toHaveLength(3);
    const services = parseIpvsServices((await director.exec('cat', ['/proc/net/ip_vs'])).stdout);
    const conns = parseIpvsConn((await director.exec('cat', ['/proc/net/ip_vs_conn'])).stdout);
    const stuck = detectStuck(conns, { destinations: services });
    expect(stuck.map((g) => [g.realServer, g.synRecv, g.suspect])).toEqual([['192.0.2.22', 3, true]]);
    const report = await inspect(system(rs2), { vips: [{ address: VIP, ports: [80] }] });
    expect(report.vips[0]?.findings.map((f) => f.code)).toEqual(['VIP_NOT_ACCEPTED']);
    await client.ip(['neigh', 'del', VIP, 'dev', 'eth0']);
  });

  let before: string;
  let record: ChangeRecord;

  it('rs2 with the VIP on lo and default sysctls: inspect reports it, two MACs answer for the VIP', async () => {
    await rs2.ip(['addr', 'add', `${VIP}/32`, 'dev', 'lo']);
    before = await snapshot(rs2);
    const report = await inspect(system(rs2), { vips: [{ address: VIP, ports: [80] }] });
    expect(report.ok).toBe(false);
    expect(report.vips[0]?.findings.map((f) => f.code)).toEqual(['ARP_IGNORE', 'ARP_ANNOUNCE']);
    expect((await inspect(system(rs1), { vips: [{ address: VIP, ports: [80] }] })).ok).toBe(true);

    const result = await whoHasVip();
    expect(result.verdict).toBe('problem');
    expect(result.answers.map((a) => a.name).sort()).toEqual(['director', 'rs2']);
  });

  it('after apply on rs2: one MAC answers, checks are clean, traffic is balanced', async () => {
    record = await apply(system(rs2), { vips: [VIP], method: 'arp' });
    expect(record.changes.length).toBeGreaterThan(0);
    expect((await inspect(system(rs2), { vips: [{ address: VIP, ports: [80] }] })).ok).toBe(true);
    const result = await whoHasVip();
    expect(result.answers.map((a) => a.name)).toEqual(['director']);
    expect(result.verdict).toBe('ok');

    await client.ip(['neigh', 'flush', 'dev', 'eth0']);
    const bodies = await client.httpGet(`http://${VIP}/`, 4);
    expect(bodies.filter((b) => b === 'rs1')).toHaveLength(2);
    expect(bodies.filter((b) => b === 'rs2')).toHaveLength(2);
  });

  it('after revert rs2 is byte for byte back: sysctls, addresses and rules', async () => {
    await revert(system(rs2), record);
    expect(await snapshot(rs2)).toBe(before);
    expect((await whoHasVip()).answers.map((a) => a.name).sort()).toEqual(['director', 'rs2']);
  });
});

describe('Direct Routing over IPv6 (method 2)', () => {
  let before: string;
  let record: ChangeRecord;

  it('rs2 with the VIP on eth0: inspect reports it, two MACs answer the neighbour solicitation', async () => {
    await rs2.addAddress('eth0', `${VIP6}/64`);
    before = await snapshot(rs2);
    const report = await inspect(system(rs2), { vips: [{ address: VIP6, ports: [80] }] });
    expect(report.vips[0]?.findings.map((f) => f.code)).toEqual(['VIP_ON_INTERFACE']);
    expect((await inspect(system(rs1), { vips: [{ address: VIP6, ports: [80] }] })).ok).toBe(true);
    const result = await whoHasVip(VIP6);
    expect(result.tool).toBe('ndisc6');
    expect(result.answers.map((a) => a.name).sort()).toEqual(['director', 'rs2']);
  });

  it('after apply the VIP is on lo as /128, one MAC answers and traffic is balanced', async () => {
    record = await apply(system(rs2), { vips: [VIP6], method: 'arp' });
    expect(record.changes).toEqual([
      { kind: 'address', op: 'del', ifname: 'eth0', address: VIP6, prefix: 64, extra: ['nodad'] },
      { kind: 'address', op: 'add', ifname: 'lo', address: VIP6, prefix: 128 },
    ]);
    expect((await inspect(system(rs2), { vips: [{ address: VIP6, ports: [80] }] })).ok).toBe(true);
    expect((await whoHasVip(VIP6)).answers.map((a) => a.name)).toEqual(['director']);
    await client.ip(['neigh', 'flush', 'dev', 'eth0']);
    const bodies = await client.httpGet(`http://[${VIP6}]/`, 4);
    expect(bodies.filter((b) => b === 'rs1')).toHaveLength(2);
    expect(bodies.filter((b) => b === 'rs2')).toHaveLength(2);
  });

  it('after revert rs2 is byte for byte back', async () => {
    await revert(system(rs2), record);
    expect(await snapshot(rs2)).toBe(before);
  });
});
