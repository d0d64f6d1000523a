import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apply,
  inspect,
  LinuxSystem,
  NFT_FILE,
  persist,
  probe,
  revert,
  runCli,
  SYSCTL_FILE,
  UNIT_FILE,
} from '../src/index.js';

// A real server (its own namespace) on a segment with a client; the VIP is 198.51.100.10.
const VIP = '198.51.100.10';
let lab: Lab;
let client: Host;
let rs: Host;
let root: string;
let system: LinuxSystem;

beforeAll(async () => {
  lab = await Lab.create();
  client = await lab.host('client');
  rs = await lab.host('rs');
  await lab.link(client, rs, { aIf: 'eth0', bIf: 'eth0', aAddrs: ['192.0.2.1/24'], bAddrs: ['192.0.2.21/24'] });
  // The client reaches the VIP through the real server, as the director's forwarded frames would.
  await client.addRoute(`${VIP}/32`, '192.0.2.21');
  root = await mkdtemp(join(tmpdir(), 'arpfix-root-'));
  system = new LinuxSystem({ root, netns: rs.netns });
});

afterAll(async () => {
  await lab?.destroy();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Everything apply may touch, as text: revert must bring it back byte for byte. */
async function snapshot(host: Host): Promise<string> {
  const sysctls = await host.exec('sysctl', ['-a', '-r', '^net\\.ipv4\\.conf\\.']);
  const addrs = await host.exec('ip', ['-o', 'addr', 'show']);
  const rules = await host.exec('nft', ['list', 'ruleset']);
  // Link-local addresses go from "tentative" to settled on their own (DAD): not ours to compare.
  const stable = addrs.stdout
    .split('\n')
    .filter((line) => !line.includes('scope link'))
    .join('\n');
  return `${sysctls.stdout}\n${stable}\n${rules.stdout}`;
}

/** MACs answering "who has VIP" on the client's segment. */
async function arpAnswers(): Promise<string[]> {
  const result = await probe(new LinuxSystem({ netns: client.netns }), { vip: VIP, interface: 'eth0', seconds: 1 });
  return result.answers.map((a) => a.mac);
}

describe('a real server in a namespace', () => {
  it('inspect, apply (method 2) and revert: ARP answers stop, and everything comes back', async () => {
    // The classic mistake: the VIP on lo, sysctls left at their defaults.
    await rs.ip(['addr', 'add', `${VIP}/32`, 'dev', 'lo']);
    expect(await arpAnswers()).toHaveLength(1);
    const before = await snapshot(rs);

    const report = await inspect(system, { vips: [VIP] });
    expect(report.ok).toBe(false);
    expect(report.vips[0]?.findings.map((f) => f.code)).toEqual(['ARP_IGNORE', 'ARP_ANNOUNCE']);

    const record = await apply(system, { vips: [VIP], method: 'arp' });
    expect(record.changes.map((c) => (c.kind === 'sysctl' ? c.path : c.kind))).toEqual([
      'net/ipv4/conf/all/arp_ignore',
      'net/ipv4/conf/all/arp_announce',
      'net/ipv4/conf/eth0/arp_ignore',
      'net/ipv4/conf/eth0/arp_announce',
    ]);
    expect((await inspect(system, { vips: [VIP] })).ok).toBe(true);
    expect(await arpAnswers()).toEqual([]);

    await revert(system, record);
    expect(await snapshot(rs)).toBe(before);
    expect(await arpAnswers()).toHaveLength(1);
    await rs.ip(['addr', 'del', `${VIP}/32`, 'dev', 'lo']);
  });

  it('method 1: an nftables redirect in the namespace serves the VIP, and revert removes it exactly', async () => {
    const server = await rs.serveHttp({ name: 'rs', port: 80, address: '0.0.0.0' });
    const before = await snapshot(rs);
    const report = await inspect(system, { vips: [{ address: VIP, ports: [80] }] });
    expect(report.vips[0]?.findings.map((f) => f.code)).toEqual(['VIP_NOT_ACCEPTED']);

    const record = await apply(system, { vips: [VIP], method: 'redirect' });
    expect(record.changes.map((c) => c.kind)).toEqual(['nft-table', 'nft-rule']);
    const after = await inspect(system, { vips: [{ address: VIP, ports: [80] }] });
    expect(after.vips[0]).toMatchObject({ verdict: 'ok', method: 'redirect' });
    expect(await client.httpGet(`http://${VIP}/`)).toEqual(['rs']);

    await revert(system, record);
    expect(await snapshot(rs)).toBe(before);
    await server.stop();
  });

  it('method 2 for an IPv6 VIP: /128 on lo, no ARP sysctls touched', async () => {
    const before = await snapshot(rs);
    const record = await apply(system, { vips: ['2001:db8:5::10'], method: 'arp' });
    expect(record.changes).toEqual([
      { kind: 'address', op: 'add', ifname: 'lo', address: '2001:db8:5::10', prefix: 128 },
    ]);
    expect((await inspect(system, { vips: ['2001:db8:5::10'] })).vips[0]?.verdict).toBe('ok');
    await revert(system, record);
    expect(await snapshot(rs)).toBe(before);
  });

  it('persist writes files the namespace accepts (sysctl -p, nft -c), and revert removes them', async () => {
    const record = await persist(system, { vips: [VIP], method: 'arp' });
    const conf = await readFile(join(root, SYSCTL_FILE), 'utf8');
    expect(conf).toContain('net.ipv4.conf.eth0.arp_ignore = 1\n');
    expect(await readFile(join(root, UNIT_FILE), 'utf8')).toContain(
      `ExecStart=/usr/sbin/ip addr replace ${VIP}/32 dev lo`,
    );
    const before = await snapshot(rs);
    await rs.exec('sysctl', ['-q', '-p', join(root, SYSCTL_FILE)]);
    expect((await rs.exec('sysctl', ['-n', 'net.ipv4.conf.eth0.arp_announce'])).stdout.trim()).toBe('2');
    await rs.exec('sysctl', ['-q', '-w', 'net.ipv4.conf.all.arp_ignore=0', 'net.ipv4.conf.all.arp_announce=0']);
    await rs.exec('sysctl', ['-q', '-w', 'net.ipv4.conf.default.arp_ignore=0', 'net.ipv4.conf.default.arp_announce=0']);
    await rs.exec('sysctl', ['-q', '-w', 'net.ipv4.conf.eth0.arp_ignore=0', 'net.ipv4.conf.eth0.arp_announce=0']);
    expect(await snapshot(rs)).toBe(before);

    const redirect = await persist(system, { vips: [VIP], method: 'redirect', netfilter: 'nftables' });
    await rs.exec('nft', ['-c', '-f', join(root, NFT_FILE)]);
    await revert(system, redirect);
    await revert(system, record);
    expect(await readFile(join(root, SYSCTL_FILE), 'utf8').catch(() => 'gone')).toBe('gone');
    expect(await readFile(join(root, UNIT_FILE), 'utf8').catch(() => 'gone')).toBe('gone');
  });

  it('the CLI in the namespace: inspect exits 1, apply, inspect exits 0, revert restores', async () => {
    let out = '';
    const io = {
      stdout: (t: string) => {
        out += t;
      },
      stderr: (t: string) => {
        out += t;
      },
    };
    const cli = (...args: string[]) => runCli([...args, '--netns', rs.netns, '--root', root], io);
    const before = await snapshot(rs);
    expect(await cli('inspect', '--vip', VIP, '--json')).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ ok: false, vips: [{ vip: VIP, method: 'none' }] });
    expect(await cli('apply', '--vip', VIP)).toBe(0);
    expect(await cli('inspect', '--vip', VIP)).toBe(0);
    expect(await arpAnswers()).toEqual([]);
    expect(await cli('revert')).toBe(0);
    expect(await snapshot(rs)).toBe(before);
  });
});
