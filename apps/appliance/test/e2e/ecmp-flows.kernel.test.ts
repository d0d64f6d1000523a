/**
 * Issue #25's proof in the kernel: a client's thousands of long-lived TCP flows go through a
 * router (BIRD 2, ECMP hashed on L4) to three balancers (each a real ApplianceEngine of an ECMP
 * cluster: IPVS mh in DR, the VIP on lo, sloppy_tcp, and its BGP part running BIRD to announce
 * the VIP) and on to three real servers, which answer with their own names. Nodes are cut, killed, drained and emptied, a real server is taken out, and
 * each flow is asked again: does it still answer, from the same real server?
 *
 * Figures go to one `ECMP-FIGURES {json}` line (and $SLUICE_FIGURES_DIR/ecmp-flows.json);
 * times are reported, never asserted; the bounds asserted are counts.
 *
 * With net.ipv4.vs.sloppy_tcp=0 on the balancers the cut, kill and drain tests fail (tried):
 * a flow moved to a balancer without its IPVS entry is then not scheduled. (The rig is kinder
 * than a real router there: a flow that a new balancer drops retransmits with a new socket
 * hash, and the router may send it back; a RST would end it at once.)
 */

import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BirdProcess } from '../../src/engine/bgp/bird-process.js';
import { nexthops, startRouterBird, untilNexthops } from './harness/bgp-router.js';
import {
  type BalancerEngine,
  carriers,
  type FlowAnswers,
  FlowClient,
  ipvsEntries,
  routerChoices,
  serveNameEcho,
  startBalancerEngine,
} from './harness/ecmp-flows.js';

const VIP = '203.0.113.10';
const PREFIX = `${VIP}/32`;
const VPORT = 80;
const CLIENT = '198.51.100.2';
const ROUTER_ASN = 64496;
const BALANCER_ASN = 64497;
/** The long-lived flows (>= 3,000: one standard deviation of a node's share is then ~2.6%). */
const FLOWS = 3000;
const FIRST_PORT = 20000;
/** Flows opened, reset and opened again around a real server's removal. */
const PROBES = 1500;
const FIRST_PROBE_PORT = 30000;
/** One answer may take this long: across a cut, TCP's retransmissions back off. */
const ANSWER_TIMEOUT_MS = 20_000;
/** Route changes on a slow, shared UML: a generous bound before the test gives up. */
const ROUTE_TIMEOUT_MS = 90_000;

const BALANCERS = [1, 2, 3].map((i) => ({ label: `b${i}`, address: `192.0.2.1${i}` }));
const SERVERS = [1, 2, 3].map((i) => ({ label: `rs${i}`, address: `192.0.2.2${i}` }));
const [B1, B2, B3] = BALANCERS as [(typeof BALANCERS)[number], (typeof BALANCERS)[number], (typeof BALANCERS)[number]];
const gateways = (bs: readonly { address: string }[]) => bs.map((b) => b.address);

/**
 * b1 is the one cut, b3 the one whose BIRD is killed: the first and the last nexthop, not the
 * middle one, so that hash-threshold moves some of the surviving nodes' flows too (removing the
 * middle of three moves only its own). Every session runs BFD 300 ms x 3 (100 ms gave false
 * failures in UML) under a 9 s hold time.
 */
const CUT = 'b1';
const KILLED = 'b3';
const BFD = { intervalMs: 300, multiplier: 3 };
/** Long enough for every flow to be asked while the drained node still announces with GSHUT. */
const DRAIN_SECONDS = 20;

/** The appliance's configuration, the same on every balancer: one DR service on mh (ecmpConfig()'s shape). */
function clusterConfig(): unknown {
  return {
    cluster: {
      mode: 'ecmp',
      nodes: BALANCERS.map((b) => ({ name: b.label, address: b.address })),
      bgp: {
        localAsn: BALANCER_ASN,
        peers: [{ address: '192.0.2.1', asn: ROUTER_ASN, holdTimeSeconds: 9, bfd: BFD }],
      },
      key: 'a-cluster-key-of-16+',
      drainSeconds: DRAIN_SECONDS,
    },
    layer4: [
      {
        label: 'web',
        vip: VIP,
        ports: [VPORT],
        forwarding: 'dr',
        scheduler: 'mh',
        realServers: SERVERS.map((s) => ({ label: s.label, address: s.address })),
      },
    ],
  };
}

interface Outcome {
  flows: number;
  broken: number;
  changedServer: number;
}

/** Compares answers with the real server each flow had; `only` limits it to some flows. */
function outcome(answers: FlowAnswers, had: ReadonlyMap<number, string>, only?: (port: number) => boolean): Outcome {
  const out = { flows: 0, broken: 0, changedServer: 0 };
  for (const [port, server] of had) {
    if (only && !only(port)) continue;
    out.flows++;
    const now = answers[port];
    if (now === undefined || now === null || now.startsWith('broken')) out.broken++;
    else if (now !== server) out.changedServer++;
  }
  return out;
}

/** Flows (of `had`, matching `only`) whose balancer is known before and after, and differs. */
function movedNode(
  had: ReadonlyMap<number, string>,
  before: { of(port: number): string | undefined },
  after: { of(port: number): string | undefined },
  only: (port: number) => boolean,
): number {
  let moved = 0;
  for (const [port] of had) {
    const [a, b] = [before.of(port), after.of(port)];
    if (only(port) && a !== undefined && b !== undefined && a !== b) moved++;
  }
  return moved;
}

const pct = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 100);
const countBy = <T>(values: Iterable<T>) => {
  const out: Record<string, number> = {};
  for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
};

describe('ECMP over three balancers: long-lived flows through cuts, kills, drains and removals (kernel)', () => {
  let lab: Lab;
  let dir: string;
  let router: Host;
  let sw: Host;
  let routerBird: BirdProcess;
  let client: FlowClient;
  const servers: ChildProcess[] = [];
  const engines = new Map<string, BalancerEngine>();
  /** The real server each open flow had at its last good answer. */
  const had = new Map<number, string>();
  const figures: Record<string, unknown> = {};

  const engineOf = (label: string) => engines.get(label) as BalancerEngine;
  const vipState = (label: string) =>
    engineOf(label)
      .engine.status()
      .bgp?.vips.map((v) => v.state);
  /**
   * Which balancer carries each flow now. `ip route get` with the flow's ports cannot say: over
   * a veth, a packet keeps the hash its sending socket gave it (random per socket, renewed on a
   * retransmission timeout), and the router's policy 1 uses a hash already there as is. So every
   * flow sends once, seconds after the flows last moved, and the freshest IPVS entry names its
   * balancer.
   */
  const whereFlowsAre = async () => {
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const asked = await checkFlows();
    expect(asked.broken).toBe(0);
    const carried = await carriers(
      BALANCERS.map((b) => lab.get(b.label)),
      VIP,
    );
    const on = (label: string) => (port: number) => carried.get(port) === label;
    const unknown = [...had.keys()].filter((p) => carried.get(p) === undefined).length;
    const share = (label: string) => pct([...had.keys()].filter(on(label)).length, had.size);
    return {
      on,
      unknown,
      share,
      of: (port: number) => carried.get(port),
      known: (port: number) => carried.get(port) !== undefined,
    };
  };

  /** Asks every flow; forgets broken ones (the client closed them) and returns the outcome. */
  const checkFlows = async (): Promise<Outcome & { answers: FlowAnswers }> => {
    const answers = await client.check();
    const result = outcome(answers, had);
    for (const [port] of had) {
      const now = answers[port];
      if (now === undefined || now === null || now.startsWith('broken')) had.delete(port);
    }
    return { ...result, answers };
  };

  /** Until the router's BIRD holds no route from `protocol` (a backup route counts). */
  const untilNoRouteFrom = async (protocol: string, since: number) => {
    for (;;) {
      const lines = await routerBird.control
        .request(`show route for ${PREFIX} protocol ${protocol}`)
        .catch((e: Error) => {
          if (/\b8001\b/.test(e.message)) return [];
          throw e;
        });
      if (!lines.some((l) => l.text.includes(PREFIX))) return Date.now() - since;
      if (Date.now() - since > ROUTE_TIMEOUT_MS) throw new Error(`the router still has ${PREFIX} from ${protocol}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  /** Until all three nodes are nexthops again (since `since`), then every flow asked once. */
  const rejoin = async (since: number) => {
    const rejoinMs = await untilNexthops(router, PREFIX, gateways(BALANCERS), since, ROUTE_TIMEOUT_MS);
    const { flows, broken, changedServer } = await checkFlows();
    return { rejoinMs, flows, broken, changedServer };
  };

  const weights = async (label: string) => {
    const { stdout } = await lab.get(label).exec('ipvsadm', ['-L', '-n', '-t', `${VIP}:${VPORT}`]);
    const out: Record<string, number> = {};
    for (const m of stdout.matchAll(/->\s+([\d.]+):\d+\s+\S+\s+(\d+)/g)) out[m[1] as string] = Number(m[2]);
    return out;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-ecmp-'));
    lab = await Lab.create();
    const lan = await lab.switch('lan');
    sw = lan.host;
    // Each host's switch port is named for it, so that a node's cable can be pulled at the switch.
    const plug = async (host: Host, addresses: string[]) => {
      await lab.link(host, sw, { aIf: 'eth0', bIf: `p${host.label}`, aAddrs: addresses });
      await sw.ip(['link', 'set', `p${host.label}`, 'master', 'br0']);
    };
    router = await lab.host('router');
    await plug(router, ['192.0.2.1/24']);
    const clientHost = await lab.host('client');
    await lab.link(clientHost, router, {
      aIf: 'eth0',
      bIf: 'eth1',
      aAddrs: [`${CLIENT}/24`],
      bAddrs: ['198.51.100.1/24'],
    });
    await clientHost.addRoute('default', '198.51.100.1');
    await router.sysctl('net.ipv4.ip_forward', 1);
    await router.sysctl('net.ipv4.fib_multipath_hash_policy', 1);
    for (const key of ['all', 'default', 'eth0', 'eth1']) await router.sysctl(`net.ipv4.conf.${key}.rp_filter`, 0);

    for (const s of SERVERS) {
      const host = await lab.host(s.label);
      await plug(host, [`${s.address}/24`]);
      // Direct routing: the VIP on lo, never answered for in ARP; replies go straight to the router.
      await host.addAddress('lo', `${VIP}/32`);
      await host.sysctl('net.ipv4.conf.all.arp_ignore', 1);
      await host.sysctl('net.ipv4.conf.all.arp_announce', 2);
      await host.addRoute('default', '192.0.2.1');
      servers.push(await serveNameEcho(host, s.label, VPORT));
    }

    routerBird = await startRouterBird(
      router,
      dir,
      ROUTER_ASN,
      BALANCERS.map((b) => ({ name: b.label, address: b.address, asn: BALANCER_ASN, bfd: true })),
    );

    for (const b of BALANCERS) {
      const host = await lab.host(b.label);
      await plug(host, [`${b.address}/24`]);
      engines.set(b.label, await startBalancerEngine(host.netns, b.label, clusterConfig()));
      // The engine's own doing in an ECMP cluster: the VIP on lo (IPVS takes packets for local
      // addresses only), and sloppy_tcp, so that a flow moved here mid-stream is scheduled.
      expect((await host.exec('ip', ['-o', 'addr', 'show', 'dev', 'lo'])).stdout).toContain(`${VIP}/32`);
      expect((await host.exec('cat', ['/proc/sys/net/ipv4/vs/sloppy_tcp'])).stdout.trim()).toBe('1');
    }
    const start = Date.now();
    figures.startToEcmpMs = await untilNexthops(router, PREFIX, gateways(BALANCERS), start, ROUTE_TIMEOUT_MS);
    const { stdout } = await router.exec('sysctl', ['-n', 'net.ipv4.fib_multipath_hash_policy']);
    figures.fibMultipathHashPolicy = Number(stdout.trim());
    figures.bfd = BFD;

    client = new FlowClient(clientHost, CLIENT, VIP, VPORT, ANSWER_TIMEOUT_MS);
    await client.ready;
  }, 240_000);

  afterAll(async () => {
    const line = JSON.stringify(figures);
    console.log(`ECMP-FIGURES ${line}`);
    const figuresDir = process.env.SLUICE_FIGURES_DIR;
    if (figuresDir) {
      mkdirSync(figuresDir, { recursive: true });
      writeFileSync(join(figuresDir, 'ecmp-flows.json'), `${line}\n`);
    }
    await client?.close();
    for (const e of engines.values()) await e.stop().catch(() => undefined);
    await routerBird?.stop();
    for (const s of servers) s.kill('SIGKILL');
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('three healthy nodes: each node and each real server carries its even share, within 10%', async () => {
    const opened = await client.open(FIRST_PORT, FLOWS);
    const failed = Object.values(opened).filter((s) => s === null).length;
    expect(failed).toBe(0);
    for (const [port, server] of Object.entries(opened)) had.set(Number(port), server as string);
    expect(had.size).toBe(FLOWS);

    const entries = new Map<number, string[]>();
    for (const b of BALANCERS) {
      for (const [port] of await ipvsEntries(lab.get(b.label), VIP))
        entries.set(port, [...(entries.get(port) ?? []), b.label]);
    }
    const perNode = countBy([...entries.values()].map((labels) => labels.join('+')));
    const perServer = countBy(had.values());
    // The router's own answer for each flow's ports, for the record: it differs (see carriedBefore).
    const byRoute = await routerChoices(router, 'eth1', CLIENT, VIP, VPORT, [...had.keys()]);
    const routeGetAgrees = [...entries].filter(
      ([port, labels]) => BALANCERS.find((b) => b.address === byRoute.get(port))?.label === labels[0],
    ).length;
    figures.spread = { flows: FLOWS, perNode, perServer, routeGetAgreesWithIpvs: routeGetAgrees };
    // Each flow has exactly one balancer's entry.
    expect(entries.size).toBe(FLOWS);
    expect(Object.keys(perNode).sort()).toEqual(['b1', 'b2', 'b3']);
    const even = FLOWS / 3;
    for (const b of BALANCERS) {
      expect(perNode[b.label] ?? 0).toBeGreaterThanOrEqual(even * 0.9);
      expect(perNode[b.label] ?? 0).toBeLessThanOrEqual(even * 1.1);
    }
    for (const s of SERVERS) {
      expect(perServer[s.label] ?? 0).toBeGreaterThanOrEqual(even * 0.9);
      expect(perServer[s.label] ?? 0).toBeLessThanOrEqual(even * 1.1);
    }
  }, 300_000);

  it("a node's cable cut: BFD takes its route away; at most its share breaks, the other nodes' flows are untouched", async () => {
    const before = await whereFlowsAre();
    const onCut = before.on(CUT);
    const share = before.share(CUT);
    const start = Date.now();
    await sw.ip(['link', 'set', `p${CUT}`, 'down']);
    const routeGoneMs = await untilNexthops(router, PREFIX, gateways([B2, B3]), start, ROUTE_TIMEOUT_MS);
    const snapshot = new Map(had);
    const all = await checkFlows();
    const cutFlows = outcome(all.answers, snapshot, onCut);
    const survivors = outcome(all.answers, snapshot, (p) => before.known(p) && !onCut(p));
    const after = await whereFlowsAre();
    const survivorsMoved = movedNode(snapshot, before, after, (p) => !onCut(p));
    figures.nodeCut = {
      node: CUT,
      routeGoneMs,
      flows: all.flows,
      sharePct: share,
      carrierUnknown: before.unknown,
      broken: all.broken,
      brokenPct: pct(all.broken, all.flows),
      cutNodeFlows: cutFlows.flows,
      cutNodeBroken: cutFlows.broken,
      survivorFlows: survivors.flows,
      survivorBroken: survivors.broken,
      survivorChangedServer: survivors.changedServer,
      survivorMovedNode: survivorsMoved,
      changedServer: all.changedServer,
    };
    expect(all.flows).toBeGreaterThanOrEqual(1000);
    expect(cutFlows.flows).toBeGreaterThan(0);
    expect(pct(all.broken, all.flows)).toBeLessThanOrEqual(share + 1);
    expect(survivors.flows).toBeGreaterThan(0);
    expect(survivors.broken).toBe(0);
    expect(survivors.changedServer).toBe(0);
    // Hash-threshold moved some of the surviving nodes' flows too; they kept their real server.
    expect(survivorsMoved).toBeGreaterThan(0);

    const back = Date.now();
    await sw.ip(['link', 'set', `p${CUT}`, 'up']);
    figures.nodeCutRejoin = await rejoin(back);
  }, 300_000);

  it("a balancer's bird SIGKILLed: withdrawn at once; the other nodes' flows are untouched", async () => {
    const before = await whereFlowsAre();
    const onKilled = before.on(KILLED);
    const share = before.share(KILLED);
    const start = Date.now();
    engineOf(KILLED).killBird();
    const routeGoneMs = await untilNexthops(router, PREFIX, gateways([B1, B2]), start, ROUTE_TIMEOUT_MS);
    const snapshot = new Map(had);
    const all = await checkFlows();
    const survivors = outcome(all.answers, snapshot, (p) => before.known(p) && !onKilled(p));
    const after = await whereFlowsAre();
    figures.birdKill = {
      node: KILLED,
      routeGoneMs,
      flows: all.flows,
      sharePct: share,
      carrierUnknown: before.unknown,
      broken: all.broken,
      brokenPct: pct(all.broken, all.flows),
      survivorBroken: survivors.broken,
      survivorChangedServer: survivors.changedServer,
      survivorMovedNode: movedNode(snapshot, before, after, (p) => !onKilled(p)),
      changedServer: all.changedServer,
    };
    expect(share).toBeGreaterThan(0);
    expect(pct(all.broken, all.flows)).toBeLessThanOrEqual(share + 1);
    expect(survivors.flows).toBeGreaterThan(0);
    expect(survivors.broken).toBe(0);
    expect(survivors.changedServer).toBe(0);

    // The engine's drift check finds its BIRD gone and starts it again.
    const back = Date.now();
    figures.birdKillRejoin = await rejoin(back);
  }, 300_000);

  it('a node drained (GSHUT), then withdrawn: no flow breaks, each keeps its real server', async () => {
    const before = await whereFlowsAre();
    const onDrained = [...had.keys()].filter(before.on('b3')).length;
    let start = Date.now();
    await engineOf('b3').engine.setNodeHold({ drain: true });
    expect(vipState('b3')).toEqual(['draining']);
    const drainMs = await untilNexthops(router, PREFIX, gateways([B1, B2]), start, ROUTE_TIMEOUT_MS);
    const drained = await checkFlows();
    // After drainSeconds the engine withdraws the VIP by itself.
    const withdrawMs = await untilNoRouteFrom('b3', start);
    expect(vipState('b3')).toEqual(['withdrawn']);
    const withdrawn = await checkFlows();
    figures.drain = {
      node: 'b3',
      flowsOnNode: onDrained,
      drainMs,
      drainSeconds: DRAIN_SECONDS,
      withdrawMs,
      afterDrain: { flows: drained.flows, broken: drained.broken, changedServer: drained.changedServer },
      afterWithdraw: { flows: withdrawn.flows, broken: withdrawn.broken, changedServer: withdrawn.changedServer },
    };
    expect(drained.flows).toBeGreaterThanOrEqual(1000);
    expect(onDrained).toBeGreaterThan(0);
    expect(drained.broken).toBe(0);
    expect(drained.changedServer).toBe(0);
    expect(withdrawn.broken).toBe(0);
    expect(withdrawn.changedServer).toBe(0);

    start = Date.now();
    await engineOf('b3').engine.setNodeHold({ drain: false });
    figures.drainRejoin = await rejoin(start);
  }, 300_000);

  it('a real server taken out through the engines (offline: weight 0, mh-fallback): only its flows move', async () => {
    // New flows are the ones that would move: open them, note each one's real server, close them
    // with a RST and wait until no balancer has an entry for them, then open them again after.
    const probed = await client.open(FIRST_PROBE_PORT, PROBES);
    expect(Object.values(probed).filter((s) => s === null).length).toBe(0);
    await client.reset(FIRST_PROBE_PORT, PROBES);
    const isProbe = (port: number) => port >= FIRST_PROBE_PORT && port < FIRST_PROBE_PORT + PROBES;
    const expiry = Date.now();
    for (;;) {
      let left = 0;
      for (const b of BALANCERS)
        for (const [port] of await ipvsEntries(lab.get(b.label), VIP)) if (isProbe(port)) left++;
      if (left === 0) break;
      if (Date.now() - expiry > 120_000) throw new Error(`${left} IPVS entries of the reset probes are still there`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }

    const ref = { layer: 'layer4' as const, service: 'web', server: 'rs3' };
    for (const b of BALANCERS) {
      engineOf(b.label).admin.set(ref, 'offline');
      await engineOf(b.label).engine.idle();
      expect(await weights(b.label)).toEqual({ '192.0.2.21': 1, '192.0.2.22': 1, '192.0.2.23': 0 });
    }
    const snapshot = new Map(had);
    const established = await checkFlows();
    const others = outcome(established.answers, snapshot, (p) => snapshot.get(p) !== 'rs3');

    const reopened = await client.open(FIRST_PROBE_PORT, PROBES);
    let othersMoved = 0;
    let stayedOnRemoved = 0;
    let removedMoved = 0;
    let failed = 0;
    for (const [port, server] of Object.entries(probed)) {
      const now = reopened[port];
      if (now === null || now === undefined) failed++;
      else if (server === 'rs3') {
        if (now === 'rs3') stayedOnRemoved++;
        else removedMoved++;
      } else if (now !== server) othersMoved++;
    }
    figures.realServerRemoved = {
      server: 'rs3',
      ipvsEntriesExpiredMs: Date.now() - expiry,
      established: { flows: established.flows, broken: established.broken, changedServer: established.changedServer },
      establishedOtherServers: others,
      newFlows: {
        flows: PROBES,
        failed,
        onRemoved: removedMoved + stayedOnRemoved,
        removedMoved,
        stayedOnRemoved,
        othersMoved,
      },
    };
    expect(others.broken).toBe(0);
    expect(others.changedServer).toBe(0);
    expect(failed).toBe(0);
    expect(othersMoved).toBe(0);
    expect(stayedOnRemoved).toBe(0);
    expect(removedMoved).toBeGreaterThan(0);
    await client.reset(FIRST_PROBE_PORT, PROBES);
  }, 300_000);

  it('a VIP with no healthy real server on one node: withdrawn by that node only', async () => {
    const before = await whereFlowsAre();
    const onEmptied = before.on('b3');
    const b3 = engineOf('b3');
    for (const server of ['rs1', 'rs2']) b3.admin.set({ layer: 'layer4', service: 'web', server }, 'offline');
    const start = Date.now();
    await b3.engine.idle();
    const states = Object.fromEntries(BALANCERS.map((b) => [b.label, engineOf(b.label).engine.status().bgp?.vips]));
    expect(states).toEqual({
      b1: [{ address: VIP, state: 'announced', reason: 'healthy' }],
      b2: [{ address: VIP, state: 'announced', reason: 'healthy' }],
      b3: [{ address: VIP, state: 'withdrawn', reason: 'no-healthy-real-server' }],
    });
    const withdrawMs = await untilNexthops(router, PREFIX, gateways([B1, B2]), start, ROUTE_TIMEOUT_MS);
    expect(await nexthops(router, PREFIX)).toEqual(gateways([B1, B2]));
    const snapshot = new Map(had);
    const all = await checkFlows();
    const survivors = outcome(all.answers, snapshot, (p) => before.known(p) && !onEmptied(p));
    figures.vipWithoutServers = {
      node: 'b3',
      sharePct: before.share('b3'),
      carrierUnknown: before.unknown,
      withdrawMs,
      nexthops: await nexthops(router, PREFIX),
      flows: all.flows,
      broken: all.broken,
      changedServer: all.changedServer,
      survivorBroken: survivors.broken,
      survivorChangedServer: survivors.changedServer,
    };
    expect(before.share('b3')).toBeGreaterThan(0);
    expect(survivors.flows).toBeGreaterThan(0);
    expect(survivors.broken).toBe(0);
    expect(survivors.changedServer).toBe(0);
  }, 300_000);
});
