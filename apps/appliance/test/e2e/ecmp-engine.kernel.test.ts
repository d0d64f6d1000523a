/**
 * Issue #25 through the engine as the daemon runs it: one balancer of an ECMP cluster (the
 * engine with `netns`, as `serve --netns`, in a child process of the test's namespace)
 * announces its VIP over BGP to a router namespace (harness/bgp-router.ts, which honours
 * GRACEFUL_SHUTDOWN). What the router's kernel routes shows is what a client would get:
 * the VIP is routed to the balancer while a real server is healthy, not when all are down,
 * during a drain it carries the community then goes, and a stopped engine withdraws it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Host, Lab, type RunningServer } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BirdProcess } from '../../src/engine/bgp/bird-process.js';
import { parseRoutes } from '../../src/engine/bgp/birdc.js';
import type { EngineStatus } from '../../src/model/engine-status.js';
import type { ApplianceConfigInput } from '../../src/model/schema.js';
import { bundleEngine } from '../engine/fixtures/bundle.js';
import { EngineHarness } from '../engine/fixtures/harness.js';
import { startRouterBird, untilNexthops } from './harness/bgp-router.js';

const VIP = '203.0.113.10';
const PREFIX = `${VIP}/32`;
const LB = '192.0.2.11';
const ROUTER_ASN = 64500;
const CLUSTER_ASN = 64512;
const SERVERS = [
  { label: 'rs1', address: '192.0.2.21' },
  { label: 'rs2', address: '192.0.2.22' },
];

function ecmp(): ApplianceConfigInput {
  return {
    cluster: {
      mode: 'ecmp',
      nodes: [
        { name: 'lb1', address: LB },
        { name: 'lb2', address: '192.0.2.12' },
      ],
      bgp: { localAsn: CLUSTER_ASN, peers: [{ address: '192.0.2.1', asn: ROUTER_ASN, holdTimeSeconds: 6 }] },
      drainSeconds: 3,
    },
    healthChecks: [
      { label: 'tcp', type: 'connect', port: 8080, intervalSeconds: 1, timeoutSeconds: 1, rise: 1, fall: 1 },
    ],
    layer4: [
      {
        label: 'web',
        vip: VIP,
        ports: [80],
        forwarding: 'dr',
        scheduler: 'mh',
        healthCheck: 'tcp',
        realServers: SERVERS.map(({ label, address }) => ({ label, address })),
      },
    ],
  };
}

/** Whether a process runs (signal 0 only asks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `read` until `ok`; the last value in the error. */
async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('an ECMP balancer engine announces its VIP over BGP (BIRD 2, kernel)', { timeout: 180_000 }, () => {
  let lab: Lab;
  let dir: string;
  let router: Host;
  let lb: Host;
  let routerBird: BirdProcess;
  let engine: EngineHarness;
  let bundle: string;
  const servers = new Map<string, RunningServer>();

  const serveAll = async () => {
    for (const s of SERVERS)
      servers.set(s.label, await lab.get(s.label).serveTcp({ name: `${s.label}_check`, port: 8080 }));
  };
  const stopAll = async () => {
    for (const s of servers.values()) await s.stop();
    servers.clear();
  };
  const vipState = async () => {
    const status = (await engine.status()) as EngineStatus;
    return status.bgp?.vips.find((v) => v.address === VIP);
  };
  /** The communities of the route the router's BIRD holds from the balancer; undefined: none. */
  const routerCommunities = async () => {
    const lines = await routerBird.control.request(`show route for ${PREFIX} protocol lb1 all`).catch((e: Error) => {
      // 8001: BIRD's "Network not found", an answer here.
      if (/\b8001\b/.test(e.message)) return [];
      throw e;
    });
    return parseRoutes(lines)[0]?.communities;
  };

  /** lb1's engine, started in the test's own namespace with the data plane in lb1's (as `serve --netns lb1` runs it). */
  const startEngine = async (state: string) => {
    const started = new EngineHarness(undefined, bundle, {
      netns: lb.netns,
      stateDir: join(dir, state),
      nodeName: 'lb1',
      driftIntervalMs: 0,
      observeIntervalMs: 0,
    });
    await started.ready;
    await started.call('start');
    return started;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-ecmp-'));
    bundle = await bundleEngine();
    lab = await Lab.create();
    const lanSwitch = await lab.switch('lan');
    router = await lab.host('router');
    await lab.attach(router, lanSwitch, ['192.0.2.1/24'], 'eth0');
    lb = await lab.host('lb1');
    await lab.attach(lb, lanSwitch, [`${LB}/24`], 'eth0');
    for (const s of SERVERS) await lab.attach(await lab.host(s.label), lanSwitch, [`${s.address}/24`], 'eth0');
    await serveAll();
    routerBird = await startRouterBird(router, dir, ROUTER_ASN, [{ name: 'lb1', address: LB, asn: CLUSTER_ASN }]);
    engine = await startEngine('engine');
  }, 90_000);

  afterAll(async () => {
    await engine?.close();
    await routerBird?.stop();
    await stopAll();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('announces the VIP once applied: on lo, sloppy_tcp set, routed to the balancer', async () => {
    const report = await engine.apply(ecmp());
    expect(report.parts.find((p) => p.part === 'bgp')).toMatchObject({ state: 'applied' });
    expect(report.parts.find((p) => p.part === 'layer4')).toMatchObject({ state: 'applied' });
    expect(report.changes).toContain(
      'layer4: set net.ipv4.vs.sloppy_tcp=1 (ECMP: a node takes over connections another node started)',
    );
    expect(report.changes).toContain('addresses: add 203.0.113.10/32 to lo (VIP of layer4 web)');
    expect((await lb.exec('cat', ['/proc/sys/net/ipv4/vs/sloppy_tcp'])).stdout.trim()).toBe('1');
    const lo = JSON.parse((await lb.ip(['-j', 'addr', 'show', 'dev', 'lo'])).stdout) as {
      addr_info: { local: string; prefixlen: number }[];
    }[];
    expect(lo[0]?.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toContain(PREFIX);
    // Not on the LAN interface: no neighbour there answers for it.
    expect((await lb.ip(['-4', 'addr', 'show', 'dev', 'eth0'])).stdout).not.toContain(VIP);
    await untilNexthops(router, PREFIX, [LB]);
    expect(await vipState()).toEqual({ address: VIP, state: 'announced', reason: 'healthy' });
    const status = (await engine.status()) as EngineStatus;
    expect(status.bgp?.peers).toEqual([
      expect.objectContaining({ address: '192.0.2.1', asn: ROUTER_ASN, state: expect.any(String) }),
    ]);
  });

  it('withdraws the VIP when every real server is down, and announces it again when one is back', async () => {
    await stopAll();
    await untilNexthops(router, PREFIX, []);
    expect(await vipState()).toEqual({ address: VIP, state: 'withdrawn', reason: 'no-healthy-real-server' });
    await serveAll();
    await untilNexthops(router, PREFIX, [LB]);
    expect((await vipState())?.state).toBe('announced');
  });

  it('a drain sends GRACEFUL_SHUTDOWN to the router, then withdraws after drainSeconds', async () => {
    await engine.hold({ drain: true });
    // setNodeHold resolves once BIRD has the new configuration: the router hears of it next.
    expect(
      await until('the community at the router', routerCommunities, (c) => c?.includes('65535:0') === true),
    ).toContain('65535:0');
    expect((await vipState())?.state).toBe('draining');
    await untilNexthops(router, PREFIX, []);
    expect(await vipState()).toEqual({ address: VIP, state: 'withdrawn', reason: 'drained' });
    await engine.hold({ drain: false });
    await untilNexthops(router, PREFIX, [LB]);
    expect(await routerCommunities()).toEqual([]);
  });

  it('stopping the engine stops BIRD: the router withdraws the VIP at once', async () => {
    await engine.call('stop');
    await untilNexthops(router, PREFIX, []);
    const sessions = await routerBird.control.bgpSessions();
    expect(sessions.find((s) => s.name === 'lb1')?.bgpState).not.toBe('Established');
  });
  it('the appliance crashes (SIGKILL): its BIRD goes with it, and the router withdraws the VIP at once', async () => {
    const crashing = await startEngine('crashing');
    await crashing.apply(ecmp());
    await untilNexthops(router, PREFIX, [LB]);
    const pid = Number(readFileSync(join(dir, 'crashing', 'bird', 'bird.pid'), 'utf8').trim());
    expect(alive(pid)).toBe(true);
    await crashing.kill();
    // No hold time: BIRD got SIGTERM from the kernel and closed its session with a Cease.
    await untilNexthops(router, PREFIX, [], Date.now(), 5_000);
    await until(
      'BIRD gone',
      async () => alive(pid),
      (running) => !running,
    );
  });
});
