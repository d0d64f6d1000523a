import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Host, Lab, type RunningServer, waitFor } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BirdProcess } from '../../src/engine/bgp/bird-process.js';
import type { ClusterStatus } from '../../src/model/cluster-status.js';
import type { EngineStatus } from '../../src/model/engine-status.js';
import { nexthops, startRouterBird, untilNexthops } from '../e2e/harness/bgp-router.js';
import { CLUSTER_ASN, NODES, PREFIX, REAL_SERVER, ROUTER, ROUTER_ASN, VIP } from '../e2e/harness/cluster-lab.js';
import { ClusterNode } from '../e2e/harness/cluster-node.js';

// The ECMP cluster with the real daemons (`serve`, as users run it), one per balancer
// namespace, named by SLUICE_NODE_NAME, behind a router namespace whose BIRD installs the
// VIP as one multipath route. The host kernel has no IPVS: the VIP's service is a Layer 7
// one (HAProxy, mode tcp), whose real server's health decides the announcement.
const ADDRESSES = NODES.map((n) => n.address);
/** Daemons start, BIRD sessions come up and HAProxy's checks rise on a shared 2-core machine. */
const SLOW = 90_000;

/** Polls `read` until `ok` holds; resolves with that value; a timeout names the last one seen. */
async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  let last: T | undefined;
  let error: unknown;
  try {
    await waitFor(
      what,
      async () => {
        last = await read();
        return ok(last);
      },
      SLOW,
    );
  } catch (e) {
    error = e;
  }
  if (error !== undefined) throw new Error(`${(error as Error).message}; last seen: ${JSON.stringify(last)}`);
  return last as T;
}

function clusterConfig(maxLagSeconds: number) {
  return {
    cluster: {
      mode: 'ecmp',
      nodes: NODES,
      key: 'test-cluster-key-0123456789',
      bgp: { localAsn: CLUSTER_ASN, peers: [{ address: ROUTER, asn: ROUTER_ASN }] },
      drainSeconds: 1,
      maxLagSeconds,
    },
    healthChecks: [{ label: 'fast', type: 'connect', intervalSeconds: 1, timeoutSeconds: 1, rise: 1, fall: 1 }],
    layer7: [
      {
        label: 'echo',
        vip: VIP,
        ports: [80],
        mode: 'tcp',
        healthCheck: 'fast',
        realServers: [{ label: 'rs', address: REAL_SERVER, port: 8080 }],
      },
    ],
  };
}

describe('an ECMP cluster of real daemons behind a BIRD router', { timeout: 300_000 }, () => {
  let lab: Lab;
  let dir: string;
  let router: Host;
  let rs: Host;
  let listener: RunningServer;
  let routerBird: BirdProcess | undefined;
  const nodes: ClusterNode[] = [];
  const byName = (name: string) => nodes.find((n) => n.name === name) as ClusterNode;
  const cluster = (node: ClusterNode) => node.api.get<ClusterStatus>('/cluster');
  /** The router's route, with every daemon's last words when it does not come. */
  const untilRoute = (expected: readonly string[]) =>
    untilNexthops(router, PREFIX, expected, Date.now(), SLOW).catch((error: Error) => {
      throw new Error(`${error.message}\n${nodes.map((n) => `${n.name} said:\n${n.log(3000)}`).join('\n')}`);
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-cluster-daemons-'));
    lab = await Lab.create();
    const sw = await lab.switch('sw');
    router = await lab.host('router');
    await lab.attach(router, sw, [`${ROUTER}/24`]);
    rs = await lab.host('rs');
    await lab.attach(rs, sw, [`${REAL_SERVER}/24`]);
    listener = await rs.serveTcp({ name: 'rs', port: 8080 });
    for (const { name, address } of NODES) {
      const host = await lab.host(name);
      const lan = await lab.attach(host, sw, [`${address}/24`]);
      nodes.push(new ClusterNode(name, host, lan, dir));
    }
    routerBird = await startRouterBird(
      router,
      dir,
      ROUTER_ASN,
      NODES.map((n) => ({ name: n.name, address: n.address, asn: CLUSTER_ASN })),
    );
    await Promise.all(nodes.map((n) => n.startWithApi()));
  }, 240_000);

  afterAll(async () => {
    await routerBird?.stop();
    for (const node of nodes) await node.killProcesses();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('bootstraps with one PUT per node; lb1 edits, the followers run its versions and refuse their own', async () => {
    // The documented bootstrap: the same configuration once on each node, the followers
    // first (still standalone and editable), the configuring node last.
    const [lb1, ...followers] = nodes as [ClusterNode, ...ClusterNode[]];
    for (const node of followers) await node.api.write('PUT', '/config', clusterConfig(30));
    await lb1.api.write('PUT', '/config', clusterConfig(30));
    await untilRoute(ADDRESSES);

    // An edit on the configuring node reaches every follower, which applies it.
    const { version } = await lb1.api.write<{ version: number }>('PUT', '/config', clusterConfig(45));
    for (const node of followers) {
      // The follower's own engine: the new version asked and every part through with it.
      await until(
        `${node.name} runs version ${version}`,
        () => node.api.get<{ engine: EngineStatus }>('/status'),
        ({ engine }) =>
          engine.version === version && engine.parts.every((p) => p.state === 'applied' || p.state === 'unavailable'),
      );
      const stored = await node.api.get<{ version: number; config: { cluster: { maxLagSeconds: number } } }>('/config');
      expect(stored.version).toBe(version);
      expect(stored.config.cluster.maxLagSeconds).toBe(45);
    }

    // An edit on a follower is refused, and nothing is stored there.
    const lb2 = byName('lb2');
    const refused = await lb2.api.raw<{ error: { code: string } }>(
      'PUT',
      `/config?version=${version}&wait=applied`,
      clusterConfig(50),
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CLUSTER_FOLLOWER');
    const after = await lb2.api.get<{ version: number; config: { cluster: { maxLagSeconds: number } } }>('/config');
    expect(after.version).toBe(version);
    expect(after.config.cluster.maxLagSeconds).toBe(45);

    // lb1's table: every node, the version it runs, its VIP announced; the router has one nexthop per node.
    // Each follower's row is what it said when lb1 last reached it (every few seconds).
    const table = await until(
      "lb1's table: every node on the new version, announcing, its session up",
      () => cluster(lb1),
      (t) => t.nodes.every((n) => n.version === version && n.bgp?.announced === 1 && n.bgp.established === 1),
    );
    expect(table).toMatchObject({ mode: 'ecmp', node: 'lb1', role: 'configuring', configuringNode: 'lb1' });
    expect(table.nodes.map((n) => [n.name, n.role, n.version])).toEqual([
      ['lb1', 'configuring', version],
      ['lb2', 'follower', version],
      ['lb3', 'follower', version],
    ]);
    for (const node of table.nodes) expect(node.bgp).toMatchObject({ announced: 1, vips: 1, established: 1 });
    expect(await nexthops(router, PREFIX)).toEqual([...ADDRESSES].sort());
  });

  it('a drained node leaves the router, shows drained, and comes back when undrained', async () => {
    const lb1 = byName('lb1');
    const lb2 = byName('lb2');
    const others = ADDRESSES.filter((a) => a !== '192.0.2.12');
    const drained = await lb2.api.call<ClusterStatus>('POST', '/cluster/drain');
    expect(drained.hold.drain).toBe(true);
    await untilRoute(others);
    await waitFor(
      "lb1's table shows lb2 drained",
      async () => (await cluster(lb1)).nodes.find((n) => n.name === 'lb2')?.drained === true,
      SLOW,
    );
    // After drainSeconds, lb2 withdraws rather than keeping a GSHUT backup route.
    await waitFor(
      'lb2 announces nothing',
      async () => (await cluster(lb2)).nodes.find((n) => n.self)?.bgp?.announced === 0,
      SLOW,
    );

    const undrained = await lb2.api.call<ClusterStatus>('POST', '/cluster/undrain');
    expect(undrained.hold.drain).toBe(false);
    await untilRoute(ADDRESSES);
    await waitFor(
      "lb1's table shows lb2 undrained",
      async () => (await cluster(lb1)).nodes.find((n) => n.name === 'lb2')?.drained === false,
      SLOW,
    );
  });

  it("the real server's health down withdraws the VIP on every node; its return announces it again", async () => {
    const lb1 = byName('lb1');
    await listener.stop();
    await untilRoute([]);
    await waitFor(
      "lb1's table shows no node announcing",
      async () => (await cluster(lb1)).nodes.every((n) => n.bgp?.announced === 0),
      SLOW,
    );
    listener = await rs.serveTcp({ name: 'rs', port: 8080 });
    await untilRoute(ADDRESSES);
  });
});
