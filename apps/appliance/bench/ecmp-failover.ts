// Benchmark: how long clients lose service when one balancer of an ECMP cluster dies, next
// to the appliance pair's failover (and keepalived tuned), in one run on one machine. The
// ECMP lab: a router namespace running BIRD 2 with `merge paths` (harness/bgp-router.ts,
// fib_multipath_hash_policy=1 there, so each flow's 5-tuple picks a nexthop), a client
// behind it, three balancer namespaces each running the real daemon (`serve`, inside the
// namespace as in ha-pair.ts, SLUICE_NODE_NAME lb1..lb3) with an ECMP configuration put
// through the REST API, and a real server. The host kernel has no IPVS, so the VIP's
// service is a Layer 7 one (HAProxy, mode tcp): its health is what makes the bgp part
// announce the VIP. The probe is UDP: FLOWS flows (one source port each) sending every
// 10 ms to an echo responder bound to the VIP in every balancer namespace. UDP rather than
// TCP connects because a flow must live across the failure for its silence to be measured
// (a new TCP connect every 10 ms is a new flow each time, and a lost SYN waits 1 s before
// its retry, which would measure TCP's timer, not the cluster). The stateless responder
// measures the routing (the router noticing the dead node and rehashing its flows); a flow
// that hash-threshold moves between two living nodes sees no outage here, as with IPVS
// and `mh` + `sloppy_tcp` on the balancers. At a random instant one balancer dies as in
// ha-failover.ts: every process in its namespace SIGKILLed and its cable pulled at once
// (BIRD gets no chance to close its session). Writes the figures into README.md.
// Usage (root): node bench/ecmp-failover.ts [TRIALS=5] [FLOWS=30] [PAIR=appliance,keepalived-tuned]
// BENCH_DEBUG=1: after each crash, what is left of the node and the router's route; the silent flows the dead node did not serve.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compareFailovers,
  FailoverLab,
  type Host,
  keepalived,
  Lab,
  type NamespaceProcess,
  type OutageSummary,
  percentile,
  type RunningServer,
  waitFor,
} from '@sluice/testkit';
import { routerConfig, untilNexthops } from '../test/e2e/harness/bgp-router.ts';
import { CLUSTER_ASN, NODES, PREFIX, REAL_SERVER, ROUTER, ROUTER_ASN, VIP } from '../test/e2e/harness/cluster-lab.ts';
import { ClusterNode } from '../test/e2e/harness/cluster-node.ts';
import { AppliancePair, machine } from './ha-pair.ts';
import { writeFigures } from './uml-run.mjs';

const trials = Number(process.argv[2] ?? 5);
const flowCount = Number(process.argv[3] ?? 30);
const pairImpls = (process.argv[4] ?? 'appliance,keepalived-tuned').split(',').filter(Boolean);

const PROBE = join(import.meta.dirname, 'ecmp-probe.mjs');
const ECHO_PORT = 7;
/** A flow silent this long (10 probe intervals) saw an outage; shorter gaps are the loaded machine's jitter. */
const OUTAGE_MS = 100;
/** The outage (up to the hold time and more) plus the random phase (up to 1.5 s) must fit. */
const PROBE_MS = 8000;

interface Scenario {
  id: string;
  label: string;
  holdTimeSeconds?: number;
  bfd?: { intervalMs: number; multiplier: number };
}
const SCENARIOS: Scenario[] = [
  { id: 'bfd-300', label: 'ECMP, BFD 300 ms x 3', bfd: { intervalMs: 300, multiplier: 3 } },
  { id: 'bfd-100', label: 'ECMP, BFD 100 ms x 3', bfd: { intervalMs: 100, multiplier: 3 } },
  { id: 'hold-3', label: 'ECMP, hold time 3 s, no BFD', holdTimeSeconds: 3 },
];

function clusterConfig(scenario: Scenario) {
  const peer = {
    address: ROUTER,
    asn: ROUTER_ASN,
    ...(scenario.holdTimeSeconds === undefined ? {} : { holdTimeSeconds: scenario.holdTimeSeconds }),
    ...(scenario.bfd === undefined ? {} : { bfd: scenario.bfd }),
  };
  return {
    cluster: {
      mode: 'ecmp',
      nodes: NODES,
      key: 'bench-cluster-key-0123456789',
      bgp: { localAsn: CLUSTER_ASN, peers: [peer] },
    },
    layer7: [
      {
        label: 'echo',
        vip: VIP,
        ports: [80],
        mode: 'tcp',
        realServers: [{ label: 'rs', address: REAL_SERVER, port: 8080 }],
      },
    ],
  };
}

interface FlowResult {
  gapMs: number;
  /** Who answered the flow when the measure began. */
  home: string | undefined;
  before: string | undefined;
  after: string | undefined;
  replies: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class EcmpLab {
  readonly lab: Lab;
  readonly router: Host;
  readonly client: Host;
  readonly nodes: ClusterNode[];
  private readonly dir: string;
  private routerBird: NamespaceProcess | undefined;
  /** Each node's UDP responder on the VIP (gone with the node when it dies). */
  private readonly echoes = new Map<ClusterNode, RunningServer>();

  private constructor(lab: Lab, router: Host, client: Host, nodes: ClusterNode[], dir: string) {
    this.lab = lab;
    this.router = router;
    this.client = client;
    this.nodes = nodes;
    this.dir = dir;
  }

  static async create(dir: string): Promise<EcmpLab> {
    const lab = await Lab.create();
    const sw = await lab.switch('sw');
    const router = await lab.host('router');
    const client = await lab.host('client');
    await lab.link(client, router, { aAddrs: ['198.51.100.10/24'], bAddrs: ['198.51.100.1/24'] });
    await client.addRoute('default', '198.51.100.1');
    await lab.attach(router, sw, [`${ROUTER}/24`]);
    await router.sysctl('net.ipv4.ip_forward', 1);
    // Hash each flow's ports too: with the default (addresses only) one client is one nexthop.
    await router.sysctl('net.ipv4.fib_multipath_hash_policy', 1);
    const rs = await lab.host('rs');
    await lab.attach(rs, sw, [`${REAL_SERVER}/24`]);
    await rs.serveTcp({ name: 'rs', port: 8080 });
    const nodes: ClusterNode[] = [];
    for (const { name, address } of NODES) {
      const host = await lab.host(name);
      const lan = await lab.attach(host, sw, [`${address}/24`]);
      await host.addRoute('198.51.100.0/24', ROUTER);
      nodes.push(new ClusterNode(name, host, lan, dir));
    }
    return new EcmpLab(lab, router, client, nodes, dir);
  }

  /** The router's BIRD (again) with the scenario's BFD timers on every session. */
  async startRouter(scenario: Scenario): Promise<void> {
    await this.routerBird?.stop();
    const file = join(this.dir, 'router-bird.conf');
    writeFileSync(
      file,
      routerConfig({
        routerId: ROUTER,
        asn: ROUTER_ASN,
        logFile: join(this.dir, 'router-bird.log'),
        peers: NODES.map((n) => ({ name: n.name, address: n.address, asn: CLUSTER_ASN, bfd: scenario.bfd })),
      }),
    );
    this.routerBird = this.router.spawn('bird', ['-f', '-c', file, '-s', join(this.dir, 'router-bird.ctl')]);
  }

  /** The scenario's configuration on every node, the followers first (README: each once), then the daemons' hold on it. */
  async configure(scenario: Scenario): Promise<void> {
    const config = clusterConfig(scenario);
    for (const node of [...this.nodes].reverse()) {
      if (node.daemon === undefined) await node.startWithApi();
    }
    const [first, ...followers] = this.nodes as [ClusterNode, ...ClusterNode[]];
    const fresh = (await first.api.get<{ config: { cluster?: unknown } }>('/config')).config.cluster === undefined;
    if (fresh) {
      for (const node of followers) await node.api.write('PUT', '/config', config);
      await first.api.write('PUT', '/config', config);
    } else {
      // The product's flow: the configuring node sends the new version to the followers.
      const version = (await first.api.write<{ version: number }>('PUT', '/config', config)).version;
      for (const node of followers) {
        await waitFor(`${node.name} has version ${version}`, async () => (await node.api.version()) >= version, 60_000);
      }
    }
  }

  /** Every balancer announcing (the router's route has three nexthops) and answering on the VIP. */
  async untilWhole(): Promise<void> {
    await untilNexthops(
      this.router,
      PREFIX,
      NODES.map((n) => n.address),
      Date.now(),
      120_000,
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}\n${this.nodes.map((n) => `${n.name} said:\n${n.daemon?.log.slice(-3000)}`).join('\n')}`,
      );
    });
    for (const node of this.nodes) {
      if (!this.echoes.has(node))
        this.echoes.set(node, await node.host.serveUdpEcho({ name: node.name, port: ECHO_PORT, address: VIP }));
    }
  }

  /** A dead node back: its cable, its daemon on its data directory, its responder once it announces again. */
  async revive(node: ClusterNode): Promise<void> {
    await node.host.ip(['link', 'set', node.lan, 'up']);
    // The cable's fall took the route back to the client with it.
    await node.host.addRoute('198.51.100.0/24', ROUTER);
    node.daemon = undefined;
    this.echoes.delete(node);
    await node.startWithApi();
  }

  /** One failure: the probe runs, a balancer dies at a random instant; each flow's longest silence. */
  async trial(victim: ClusterNode): Promise<FlowResult[]> {
    await this.untilWhole();
    await sleep(1000); // steady state
    const probe = this.client.spawn(process.execPath, [
      PROBE,
      VIP,
      String(ECHO_PORT),
      String(flowCount),
      '10',
      String(PROBE_MS),
    ]);
    await probe.waitForLine('READY', 30_000);
    const result = probe
      .waitForLine('{', PROBE_MS + 30_000)
      .then((line) => JSON.parse(`{${line}`) as { flows: FlowResult[] });
    result.catch(() => undefined);
    await sleep(500 + Math.random() * 1000);
    await victim.crash();
    if (process.env.BENCH_DEBUG) {
      await sleep(200);
      const left = await victim.pids();
      const link = (await victim.host.ip(['-br', 'link', 'show', victim.lan])).stdout.trim();
      const route = (await this.router.ip(['route', 'show', PREFIX])).stdout.trim();
      process.stderr.write(`after the crash: ${left.length} processes, ${link}; router: ${route}\n`);
    }
    const { flows } = await result;
    if (process.env.BENCH_DEBUG) {
      const elsewhere = flows.filter((f) => f.home !== victim.name && f.gapMs >= OUTAGE_MS);
      process.stderr.write(`silent flows the dead node did not serve: ${JSON.stringify(elsewhere)}\n`);
    }
    await this.revive(victim);
    return flows;
  }

  async stopAll(): Promise<void> {
    await this.routerBird?.stop();
    for (const node of this.nodes) await node.killProcesses();
  }

  destroy(): Promise<void> {
    return this.lab.destroy();
  }
}

interface EcmpSummary {
  scenario: string;
  trials: number;
  flows: number;
  /** Flows whose balancer died (it answered them when the measure began). */
  onVictim: number;
  /** Flows with an outage: silent for OUTAGE_MS or more, then answered by another node (or never again). */
  hit: number;
  /** Of those, flows the dead balancer did not serve (a stateless responder keeps a flow hash-threshold moves). */
  hitElsewhere: number;
  /** Flows silent as long but answered by the same node before and after: not rerouted, the machine stalled. */
  stalled: number;
  stalledMaxMs: number;
  p50: number;
  p90: number;
  max: number;
}

/** A failover outage ends with another node answering (as ha-failover's ends with lbb), or not at all. */
const rerouted = (flow: FlowResult) => flow.gapMs >= OUTAGE_MS && flow.before !== flow.after;

function summarizeFlows(scenario: Scenario, victims: string[], results: FlowResult[][]): EcmpSummary {
  let onVictim = 0;
  let hitElsewhere = 0;
  let stalled = 0;
  let stalledMaxMs = 0;
  const gaps: number[] = [];
  results.forEach((flows, t) => {
    for (const flow of flows) {
      const victimFlow = flow.home === victims[t];
      if (victimFlow) onVictim++;
      if (rerouted(flow)) {
        gaps.push(flow.gapMs);
        if (!victimFlow) hitElsewhere++;
      } else if (flow.gapMs >= OUTAGE_MS) {
        stalled++;
        stalledMaxMs = Math.max(stalledMaxMs, flow.gapMs);
      }
    }
  });
  const sorted = gaps.sort((a, b) => a - b);
  return {
    scenario: scenario.label,
    trials: results.length,
    flows: results.flat().length,
    onVictim,
    hit: sorted.length,
    hitElsewhere,
    stalled,
    stalledMaxMs,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-ecmp-failover-'));
const ecmp: EcmpSummary[] = [];
let pair: OutageSummary[] = [];
try {
  const lab = await EcmpLab.create(dir);
  try {
    for (const scenario of SCENARIOS) {
      await lab.startRouter(scenario);
      await lab.configure(scenario);
      const victims: string[] = [];
      const results: FlowResult[][] = [];
      for (let t = 0; t < trials; t++) {
        const victim = lab.nodes[t % lab.nodes.length] as ClusterNode;
        const flows = await lab.trial(victim);
        victims.push(victim.name);
        results.push(flows);
        const hit = flows.filter(rerouted);
        const spread = NODES.map((n) => `${n.name} ${flows.filter((f) => f.home === n.name).length}`).join(', ');
        process.stderr.write(
          `${scenario.id} trial ${t + 1}/${trials} (${victim.name} dies; flows on ${spread}): ${hit.length}/${flows.length} flows rerouted after a silence, up to ${Math.max(0, ...hit.map((f) => f.gapMs))} ms\n`,
        );
      }
      ecmp.push(summarizeFlows(scenario, victims, results));
    }
    await lab.stopAll();
  } finally {
    await lab.destroy();
  }
  if (pairImpls.length > 0) {
    const failoverLab = await FailoverLab.create();
    try {
      pair = await compareFailovers(
        failoverLab,
        [new AppliancePair(failoverLab, dir), keepalived(dir, true)],
        pairImpls,
        trials,
      );
    } finally {
      await failoverLab.destroy();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const appliancePair = pair.find((s) => s.impl === 'appliance');
const ratios = ecmp.map((s) => ({
  scenario: s.scenario,
  p50: appliancePair ? s.p50 / appliancePair.p50 : Number.NaN,
  max: appliancePair ? s.max / appliancePair.max : Number.NaN,
}));
console.log(
  JSON.stringify({
    bench: 'ECMP failover (UDP flows, a datagram each every 10 ms, ms of silence)',
    ecmp,
    pair,
    ratios,
  }),
);

const PAIR_DESCRIPTION: Record<string, string> = {
  appliance: 'the appliance pair (`sluice-appliance serve` x 2, heartbeat)',
  'keepalived-tuned': 'keepalived 2.2.7 tuned (VRRPv3, advert_int 0.1 s)',
};
const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)}%`;
const ecmpRow = (s: EcmpSummary) =>
  `| ${s.scenario} | ${s.trials} | ${s.hit}/${s.flows} (${pct(s.hit, s.flows)}) | ${s.p50} | ${s.p90} | ${s.max} |`;
const pairRow = (s: OutageSummary) =>
  `| ${PAIR_DESCRIPTION[s.impl] ?? s.impl} | ${s.trials} | all | ${s.p50} | ${s.p90} | ${s.max} |`;
writeFigures(
  'ecmp-failover',
  `${machine()}. Reproduce: \`node bench/ecmp-failover.ts ${trials} ${flowCount} ${pairImpls.join(',')}\` (root).

| failure of one balancer | trials | flows with an outage (silent >= ${OUTAGE_MS} ms, then another node) | outage p50 (ms) | p90 | max |
| --- | --- | --- | --- | --- | --- |
${ecmp.map(ecmpRow).join('\n')}
${pair.map(pairRow).join('\n')}

${ecmp.map((s) => `${s.scenario}: ${s.onVictim} of ${s.flows} flows were on the balancer that died; ${s.hitElsewhere} rerouted flows were not; ${s.stalled} flows were silent as long without a reroute${s.stalled > 0 ? ` (up to ${s.stalledMaxMs} ms, the same node answering before and after: the shared machine stalled)` : ''}.`).join(' ')}
${appliancePair ? ratios.map((r) => `${r.scenario} / the pair: ${r.p50.toFixed(2)}x at p50, ${r.max.toFixed(2)}x at the max.`).join(' ') : ''}
`,
);
