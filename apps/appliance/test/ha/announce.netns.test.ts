import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Host, Switch } from '@sluice/testkit';
import { describe, expect, it } from 'vitest';
import type { HaStatus } from '../../src/model/ha-status.js';
import { FixtureNode, pairDirs, perTest, waitFor } from './fixture-node.js';

/**
 * The takeover's announcements as real frames: two appliance nodes (real HaControl, real
 * engine addresses part) and a client on one bridge, whose namespace drops the first
 * gratuitous ARP the new active node sends for the floating IP (nftables, `bridge` family,
 * in the switch's own namespace). With repeats the client's neighbour entry for the
 * floating IP still moves to the new node; without, it stays on the old node's MAC.
 */
const NODE = fileURLToPath(new URL('./fixtures/ha-announce-node.mjs', import.meta.url));
const MASTER = '192.0.2.1';
const SLAVE = '192.0.2.2';
const CLIENT = '192.0.2.10';
const VIP = '192.0.2.100';
const ADMIN_PORT = '9080';
const INTERVAL_MS = 500;

class Node extends FixtureNode<HaStatus> {
  constructor(
    host: Host,
    readonly mac: string,
    dir: string,
    args: string[],
  ) {
    super(host, NODE, dir, args);
  }
  state(): string | undefined {
    return this.status()?.state;
  }
}

const each = perTest();

const macOf = async (host: Host, ifname: string) =>
  (await host.exec('cat', [`/sys/class/net/${ifname}/address`])).stdout.trim();

/** The MAC the client's neighbour entry gives the floating IP (undefined: none). */
async function clientEntry(client: Host, ifname: string): Promise<string | undefined> {
  const { stdout } = await client.ip(['neigh', 'show', VIP, 'dev', ifname]);
  return /lladdr ([0-9a-f:]{17})/.exec(stdout)?.[1];
}

/**
 * Drops the first ARP frame `mac` sends with the floating IP as its sender address, and
 * counts the ones it lets through. Only in the switch's namespace.
 */
async function dropFirstAnnouncement(sw: Switch, mac: string, dir: string): Promise<() => Promise<number[]>> {
  const rules = join(dir, 'drop-first.nft');
  const match = `ether saddr ${mac} ether type arp arp saddr ip ${VIP}`;
  await writeFile(
    rules,
    [
      'table bridge announce_test {',
      '  counter passed {}',
      '  counter dropped {}',
      '  set seen { type ether_addr; flags dynamic; }',
      '  chain prerouting {',
      '    type filter hook prerouting priority 0; policy accept;',
      `    ${match} ether saddr @seen counter name "passed" accept`,
      `    ${match} add @seen { ether saddr } counter name "dropped" drop`,
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  await sw.host.exec('nft', ['-f', rules]);
  return async () => {
    const counts: number[] = [];
    for (const name of ['dropped', 'passed']) {
      const { stdout } = await sw.host.exec('nft', ['list', 'counter', 'bridge', 'announce_test', name]);
      counts.push(Number(/packets (\d+)/.exec(stdout)?.[1]));
    }
    return counts;
  };
}

/** Master active with the floating IP, the client's entry for it on the master's MAC. */
async function pair(announcements: Record<string, number>) {
  const lab = await each.lab();
  const sw = await lab.switch('sw');
  const client = await lab.host('client');
  const clientIf = await lab.attach(client, sw, [`${CLIENT}/24`]);
  // The client keeps what it learnt: only an announcement can move its entry (no probes
  // of its own for a minute).
  await client.sysctl(`net.ipv4.neigh.${clientIf}.delay_first_probe_time`, 60);
  await client.sysctl(`net.ipv4.neigh.${clientIf}.base_reachable_time_ms`, 60_000);
  const a = await lab.host('lba');
  const b = await lab.host('lbb');
  await lab.attach(a, sw, [`${MASTER}/24`], 'eth0');
  await lab.attach(b, sw, [`${SLAVE}/24`], 'eth0');
  const { masterDir, slaveDir } = await pairDirs(each, 'announce', SLAVE, {
    config: { floatingIps: [{ address: `${VIP}/24`, interface: 'eth0' }] },
    heartbeat: { announcements },
  });
  const master = new Node(a, await macOf(a, 'eth0'), masterDir, ['master', ADMIN_PORT]);
  const slave = new Node(b, await macOf(b, 'eth0'), slaveDir, ['slave', ADMIN_PORT, `master@${MASTER}`]);
  await master.start();
  await slave.start();
  await waitFor('master active', () => master.state() === 'active');
  await waitFor('slave passive', () => slave.state() === 'passive');
  await waitFor('the floating IP answers', async () => (await client.exec('ping', ['-c', '1', '-W', '1', VIP])).stdout);
  expect(await clientEntry(client, clientIf)).toBe(master.mac);
  const counters = await dropFirstAnnouncement(sw, slave.mac, masterDir);
  // On a loaded machine the slave may have held the address for a moment at its start
  // (initdead before it heard the master): what it announced then is not this takeover's.
  const before = slave.lines('ANNOUNCE').length;
  const announced = () => slave.lines('ANNOUNCE').slice(before);
  // The master hands over at once (graceful stop): the slave takes the floating IP.
  master.process?.child.kill('SIGTERM');
  await master.process?.waitForLine('STOPPED', 10_000);
  await waitFor('slave active', () => slave.state() === 'active');
  return { master, slave, client, clientIf, counters, announced };
}

describe('announcements of a takeover survive a lost gratuitous ARP', () => {
  it('with repeats, the client moves to the new node although the first frame was dropped', async () => {
    const { slave, client, clientIf, counters, announced } = await pair({
      count: 3,
      intervalMs: INTERVAL_MS,
      delayMs: 0,
    });
    await waitFor('the client entry on the new node', async () => (await clientEntry(client, clientIf)) === slave.mac);
    const [dropped, passed] = await counters();
    expect(dropped).toBe(1);
    expect(passed).toBeGreaterThanOrEqual(1);
    // The first frame the engine sent as it added the address went out (to be dropped):
    // the takeover's own first frame is not sent twice; the repeats are.
    expect(announced()[0]).toBe('pending');
    await waitFor('the burst', () => announced().length === 3);
    expect(announced()).toEqual(['pending', 'all', 'all']);
  });

  it('without repeats, the one frame is lost and the client stays on the old node', async () => {
    const { master, client, clientIf, counters, announced } = await pair({ count: 1, delayMs: 0 });
    await waitFor('the takeover announced', () => announced().length === 1);
    // Longer than the test above needed for its second frame: nothing more is sent.
    await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_MS));
    expect(await counters()).toEqual([1, 0]);
    expect(await clientEntry(client, clientIf)).toBe(master.mac);
    expect(announced()).toEqual(['pending']);
  });
});
