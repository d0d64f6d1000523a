// Two balancers of an ECMP cluster, each with its own HAProxy run by the Layer 7 driver, and
// a client whose route to the VIP moves from one to the other, as a router's ECMP moves
// flows when a node leaves: with source-IP persistence each client address reaches the same
// real server through either node, although the second lists the real servers in another
// order; and a real server removed on one node moves only its own clients there. The same
// for RDP-cookie persistence: each user reaches the same terminal server through either node.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecmpConfig } from '../../../test/fixtures/ecmp-config.js';
import type { LogBook } from '../../logs/contract.js';
import { configSchema } from '../../model/schema.js';
import type { DesiredInput } from '../driver.js';
import { createLayer7Driver, type Layer7Driver } from './index.js';

const VIP = '203.0.113.10';
const RDP_PORT = 3389;
const USERS = Array.from({ length: 24 }, (_, i) => `user${i}`);
/** The client's own addresses: one per simulated client, on its `lo`. */
const CLIENTS = Array.from({ length: 24 }, (_, i) => `203.0.113.${65 + i}`);
const SERVERS = [
  { label: 'alpha', address: '198.51.100.11', port: 8080 },
  { label: 'bravo', address: '198.51.100.12', port: 8080 },
  { label: 'charlie', address: '198.51.100.13', port: 8080 },
];
const NODES = {
  lb1: { toClient: '192.0.2.2', client: '192.0.2.1', lan: '198.51.100.1' },
  lb2: { toClient: '192.0.2.6', client: '192.0.2.5', lan: '198.51.100.2' },
} as const;

let lab: Lab;
let client: Host;
let dir: string;
let version = 0;
const drivers = new Map<keyof typeof NODES, Layer7Driver>();

const logs: LogBook = {
  write: (channel, level, message) => ({ seq: 0, time: new Date().toISOString(), channel, level, message }),
  query: () => [],
  follow: () => () => undefined,
};

function input(realServers: typeof SERVERS): DesiredInput {
  const terminals = realServers.map((rs) => ({ ...rs, port: RDP_PORT }));
  const config = configSchema.parse({
    ...ecmpConfig(),
    layer7: [
      { label: 'web', vip: VIP, ports: [80], persistence: { type: 'source-ip' }, realServers },
      {
        label: 'desktops',
        mode: 'tcp',
        vip: VIP,
        ports: [RDP_PORT],
        persistence: { type: 'rdp-cookie' },
        realServers: terminals,
      },
    ],
  });
  return { version: ++version, config, server: () => ({ admin: 'online', health: 'unknown' }) };
}

/** Routes the client's traffic for the VIP through one node, as the router's ECMP would. */
async function routeThrough(node: keyof typeof NODES): Promise<void> {
  await client.ip(['-4', 'route', 'replace', `${VIP}/32`, 'via', NODES[node].toClient]);
}

/** The real server that answers each client address. */
async function answers(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const source of CLIENTS) {
    const { stdout } = await client.exec('curl', [
      '-s',
      '-S',
      '--max-time',
      '5',
      '--interface',
      source,
      `http://${VIP}/`,
    ]);
    found.set(source, stdout.trim());
  }
  return found;
}

/** The terminal server that answers each user's RDP connection request. */
async function rdpAnswers(): Promise<Map<string, string>> {
  const script = join(import.meta.dirname, 'fixtures', 'rdp-users.mjs');
  const { stdout } = await client.node(script, [VIP, String(RDP_PORT), ...USERS], 60_000);
  return new Map(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );
}

beforeAll(async () => {
  lab = await Lab.create();
  dir = await mkdtemp(join(tmpdir(), 'sluice-l7-ecmp-'));
  client = await lab.host('client');
  for (const source of CLIENTS) await client.addAddress('lo', `${source}/32`);
  const sw = await lab.switch('sw');
  for (const [name, node] of Object.entries(NODES) as [keyof typeof NODES, (typeof NODES)[keyof typeof NODES]][]) {
    const lb = await lab.host(name);
    await lab.link(client, lb, { aAddrs: [`${node.client}/30`], bAddrs: [`${node.toClient}/30`] });
    await lab.attach(lb, sw, [`${node.lan}/24`]);
    // In a cluster the VIP is a host address on every node's lo.
    await lb.addAddress('lo', `${VIP}/32`);
    await lb.addRoute('203.0.113.64/26', node.client);
    drivers.set(name, createLayer7Driver({ stateDir: join(dir, name), logs, netns: lb.netns }));
  }
  for (const rs of SERVERS) {
    const host = await lab.host(rs.label);
    await lab.attach(host, sw, [`${rs.address}/24`]);
    await host.serveHttp({ name: rs.label, port: rs.port });
    await host.serveTcp({ name: rs.label, port: RDP_PORT });
  }
});

afterAll(async () => {
  for (const driver of drivers.values()) await driver.stopDataPlane();
  await lab?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Layer 7 hash persistence across the nodes of an ECMP cluster', () => {
  let first: Map<string, string>;
  let firstRdp: Map<string, string>;

  it('sends each client to the same real server through either node, whatever the order of the list', async () => {
    await drivers.get('lb1')?.apply(input(SERVERS));
    await drivers.get('lb2')?.apply(input([...SERVERS].reverse()));
    await routeThrough('lb1');
    first = await answers();
    // Every answer is a real server, and the hash spreads the clients.
    expect(new Set(first.values())).toEqual(new Set(SERVERS.map((rs) => rs.label)));
    expect(await answers()).toEqual(first);
    await routeThrough('lb2');
    expect(await answers()).toEqual(first);
  });

  it('sends each RDP user to the same terminal server through either node', async () => {
    await routeThrough('lb1');
    firstRdp = await rdpAnswers();
    expect([...firstRdp.keys()]).toEqual(USERS);
    expect(new Set(firstRdp.values())).toEqual(new Set(SERVERS.map((rs) => rs.label)));
    await routeThrough('lb2');
    expect(await rdpAnswers()).toEqual(firstRdp);
  });

  it('moves only the clients of a real server that one node no longer has', async () => {
    await drivers.get('lb2')?.apply(input(SERVERS.filter((rs) => rs.label !== 'bravo')));
    await routeThrough('lb2');
    const after = await answers();
    for (const [source, before] of first) {
      if (before === 'bravo') expect(['alpha', 'charlie']).toContain(after.get(source));
      else expect([source, after.get(source)]).toEqual([source, before]);
    }
    expect([...first.values()].filter((s) => s === 'bravo').length).toBeGreaterThan(0);
    const rdpAfter = await rdpAnswers();
    for (const [user, before] of firstRdp) {
      if (before === 'bravo') expect(['alpha', 'charlie']).toContain(rdpAfter.get(user));
      else expect([user, rdpAfter.get(user)]).toEqual([user, before]);
    }
  });
});
