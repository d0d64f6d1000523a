/**
 * The BGP part of an ECMP cluster: this node's BIRD 2 announces the VIPs it can serve
 * (vip-states.ts) to the cluster's routers. It runs last in an apply, so that a VIP is
 * announced only once IPVS, HAProxy and the addresses serve it. Outside ECMP it stops a
 * BIRD it ran and reports nothing.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { fieldError } from '../../errors.js';
import type { BgpPeerStatus, BgpStatus, BgpVipStatus, NodeHold } from '../../model/engine-status.js';
import { type ApplianceConfig, clusterMode } from '../../model/schema.js';
import { serial } from '../../serial.js';
import type { DesiredInput, PartApplyResult, PartDriver, ProbeResult, ServerObservation } from '../driver.js';
import { type BgpPeer, peerProtocolName, renderBirdConfig } from './bird-config.js';
import { BirdProcess, type BirdProcessOptions, birdBinary } from './bird-process.js';
import type { BgpSession } from './birdc.js';
import { vipStates } from './vip-states.js';

/** What the driver needs of a running BIRD (BirdProcess; a fake in tests). */
export interface BirdDaemon {
  readonly running: boolean;
  readonly control: { configure(file?: string): Promise<void>; bgpSessions(): Promise<BgpSession[]> };
  stop(): Promise<void>;
}

export interface BgpDriverOptions {
  /** BIRD's configuration, control socket and pid file go here (the engine's stateDir/bird). */
  dir: string;
  netns?: string | undefined;
  /** This node's name in `cluster.nodes` (SLUICE_NODE_NAME, default the host name). */
  nodeName: string;
  /** Asks the engine to apply the bgp part again (a drain's end). */
  reapply: () => void;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => () => void;
  start?: (options: BirdProcessOptions) => Promise<BirdDaemon>;
  /** Stops a BIRD a previous run left with our pid file (a crashed daemon's). */
  killLeftover?: (pidFile: string, configFile: string) => Promise<boolean>;
  probe?: () => ProbeResult;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `pid` is a `bird` started with `configFile` (a reused pid is some other program: left alone). */
async function isOurBird(pid: number, configFile: string): Promise<boolean> {
  try {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return /(^|\/)bird$/.test(args[0] ?? '') && args.includes(configFile);
  } catch {
    return false;
  }
}

/** SIGTERM (its sessions close with a Cease, the routers withdraw at once), SIGKILL after 5 s. */
export async function killLeftoverBird(pidFile: string, configFile: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, 'utf8')).trim());
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !(await isOurBird(pid, configFile))) return false;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < 5000; waited += 50) {
    await sleep(50);
    if (!(await isOurBird(pid, configFile))) return true;
  }
  process.kill(pid, 'SIGKILL');
  return true;
}

function describe(vip: BgpVipStatus): string {
  switch (vip.state) {
    case 'announced':
      return `bgp: announce ${vip.address}`;
    case 'draining':
      return `bgp: drain ${vip.address} (announced with GRACEFUL_SHUTDOWN)`;
    case 'withdrawn':
      return `bgp: withdraw ${vip.address} (${vip.reason})`;
  }
}

/** BIRD prints local time (`2026-12-07 15:53:49.017`): as ISO 8601, or as it is if unreadable. */
function isoSince(since: string): string | undefined {
  if (!since) return undefined;
  const date = new Date(since.replace(' ', 'T'));
  return Number.isNaN(date.getTime()) ? since : date.toISOString();
}

export class BgpDriver implements PartDriver {
  readonly part = 'bgp' as const;
  private readonly options: BgpDriverOptions;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => () => void;
  private readonly files: { configFile: string; socketPath: string; pidFile: string };
  private bird: BirdDaemon | undefined;
  /** The text BIRD runs with; undefined: none yet (or unknown after a failure). */
  private applied: string | undefined;
  private leftoverChecked = false;
  private hold: NodeHold = { drain: false };
  private drainStarted: number | undefined;
  private cancelTimer: (() => void) | undefined;
  private current: BgpStatus | undefined;
  private peers: readonly BgpPeer[] = [];
  private sessions: BgpPeerStatus[] = [];
  /** Applies, drift's restarts and stop, one at a time. */
  private readonly writes = serial();
  /** The last ECMP apply's input, for drift to start a BIRD that died (undefined: nothing to run). */
  private lastInput: DesiredInput | undefined;

  constructor(options: BgpDriverOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.setTimer =
      options.setTimer ??
      ((fn, ms) => {
        const timer = setTimeout(fn, ms);
        timer.unref();
        return () => clearTimeout(timer);
      });
    this.files = {
      configFile: join(options.dir, 'bird.conf'),
      socketPath: join(options.dir, 'bird.ctl'),
      pidFile: join(options.dir, 'bird.pid'),
    };
  }

  async probe(): Promise<ProbeResult> {
    if (this.options.probe) return this.options.probe();
    try {
      birdBinary();
      return { available: true };
    } catch (error) {
      return { available: false, detail: message(error) };
    }
  }

  /** The node's hold; the next apply acts on it. A drain starts its timer now. */
  setHold(hold: NodeHold): void {
    if (hold.drain && !this.hold.drain) this.drainStarted = this.now();
    if (!hold.drain) {
      this.drainStarted = undefined;
      this.cancelTimer?.();
      this.cancelTimer = undefined;
    }
    this.hold = { drain: hold.drain, ...(hold.stale === undefined ? {} : { stale: hold.stale }) };
  }

  /** What the status shows: undefined outside an ECMP cluster. */
  bgpStatus(): BgpStatus | undefined {
    return this.current && { ...this.current, peers: this.sessions };
  }

  private drainPhase(config: ApplianceConfig): 'none' | 'draining' | 'drained' {
    if (!this.hold.drain || this.drainStarted === undefined) return 'none';
    const left = this.drainStarted + (config.cluster?.drainSeconds ?? 10) * 1000 - this.now();
    if (left <= 0) return 'drained';
    // The drain ends by itself: the engine applies the part again then.
    this.cancelTimer ??= this.setTimer(() => {
      this.cancelTimer = undefined;
      this.options.reapply();
    }, left);
    return 'draining';
  }

  private routerId(config: ApplianceConfig): string {
    const nodes = config.cluster?.nodes ?? [];
    const node = nodes.find((n) => n.name === this.options.nodeName);
    if (!node) {
      throw fieldError(
        'BGP_INVALID',
        'cluster.nodes',
        `no node is named ${JSON.stringify(this.options.nodeName)} (this node's SLUICE_NODE_NAME, default its host name)`,
      );
    }
    const id = node.routerId ?? (isIPv4(node.address) ? node.address : undefined);
    if (id === undefined) {
      throw fieldError('BGP_INVALID', 'cluster.nodes', `${node.name} has an IPv6 address: give it a routerId`);
    }
    return id;
  }

  apply(input: DesiredInput): Promise<PartApplyResult> {
    return this.writes(() => this.applyOnce(input));
  }

  /** A BIRD that died (killed, crashed) is started again: until then this node announces nothing. */
  drift(): Promise<string[]> {
    return this.writes(async () => {
      const input = this.lastInput;
      if (input === undefined || this.bird?.running) return [];
      await this.applyOnce(input);
      return ['bgp: BIRD had stopped; started it again'];
    });
  }

  private async applyOnce(input: DesiredInput): Promise<PartApplyResult> {
    const changes: string[] = [];
    if (!this.leftoverChecked) {
      this.leftoverChecked = true;
      const kill = this.options.killLeftover ?? killLeftoverBird;
      if (await kill(this.files.pidFile, this.files.configFile)) {
        changes.push('bgp: stopped the BIRD a previous run left running');
      }
    }
    const config = input.config;
    if (clusterMode(config) !== 'ecmp' || config.cluster?.bgp === undefined) {
      if (await this.stopBird()) changes.push('bgp: stopped BIRD (not an ECMP cluster)');
      this.current = undefined;
      this.lastInput = undefined;
      // The hold is the engine's and stays; only a drain's timer has nothing to end here.
      this.cancelTimer?.();
      this.cancelTimer = undefined;
      return { changes };
    }
    this.lastInput = input;
    const before = new Map((this.current?.vips ?? []).map((v) => [v.address, v]));
    const vips = vipStates({
      config,
      server: input.server,
      ...(input.partState ? { partState: input.partState } : {}),
      stale: this.hold.stale,
      drain: this.drainPhase(config),
    });
    const bgp = config.cluster.bgp;
    // Zod leaves absent options as undefined keys; BIRD's renderer takes them absent.
    this.peers = bgp.peers.map(
      (p): BgpPeer => ({
        address: p.address,
        asn: p.asn,
        ...(p.password === undefined ? {} : { password: p.password }),
        ...(p.holdTimeSeconds === undefined ? {} : { holdTimeSeconds: p.holdTimeSeconds }),
        ...(p.bfd === undefined ? {} : { bfd: p.bfd }),
      }),
    );
    const status: BgpStatus = {
      state: 'running',
      drained: this.hold.drain,
      ...(this.hold.stale === undefined ? {} : { stale: this.hold.stale }),
      peers: [],
      vips,
    };
    try {
      const text = renderBirdConfig({
        routerId: this.routerId(config),
        localAsn: bgp.localAsn,
        peers: this.peers,
        vips: vips.map(({ address, state }) => ({ address, state })),
      });
      await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
      if (!this.bird?.running) {
        this.bird = undefined;
        await this.write(text);
        const start = this.options.start ?? BirdProcess.start;
        this.bird = await start({ ...this.files, ...(this.options.netns ? { netns: this.options.netns } : {}) });
        this.applied = text;
        changes.push('bgp: started BIRD');
      } else if (text !== this.applied) {
        this.applied = undefined;
        await this.write(text);
        await this.bird.control.configure();
        this.applied = text;
      }
    } catch (error) {
      this.current = { ...status, state: 'failed', detail: message(error), vips: vips.map((v) => ({ ...v })) };
      throw error;
    }
    for (const vip of vips) {
      const was = before.get(vip.address);
      if (was?.state !== vip.state || was.reason !== vip.reason) changes.push(describe(vip));
    }
    this.current = status;
    await this.readSessions();
    return { changes };
  }

  private async write(text: string): Promise<void> {
    // Whole or not at all: BIRD may read it at any time (a restart, `configure`).
    const temporary = `${this.files.configFile}.new`;
    await writeFile(temporary, text, { mode: 0o600 });
    await rename(temporary, this.files.configFile);
  }

  private async readSessions(): Promise<void> {
    if (!this.bird?.running) {
      this.sessions = [];
      return;
    }
    try {
      const sessions = await this.bird.control.bgpSessions();
      this.sessions = this.peers.map((peer, i): BgpPeerStatus => {
        const session = sessions.find((s) => s.name === peerProtocolName(i));
        const since = session ? isoSince(session.since) : undefined;
        return {
          address: peer.address,
          asn: peer.asn,
          state: session?.bgpState || session?.state || 'unknown',
          ...(since ? { since } : {}),
          ...(session?.info ? { info: session.info } : {}),
        };
      });
    } catch (error) {
      this.sessions = this.peers.map((peer) => ({
        address: peer.address,
        asn: peer.asn,
        state: 'unknown',
        info: message(error),
      }));
    }
  }

  /**
   * The BGP sessions are read with the other parts' figures; right after an apply, which has
   * just read them, BIRD is not asked again.
   */
  async observe(options: { afterApply?: boolean } = {}): Promise<Map<string, ServerObservation>> {
    if (this.current !== undefined && !options.afterApply) {
      await this.readSessions();
      if (this.bird !== undefined && !this.bird.running && this.current.state === 'running') {
        // BIRD died: its sessions are down and the routers withdraw; the next apply starts it again.
        this.current = { ...this.current, state: 'failed', detail: 'BIRD stopped' };
        this.applied = undefined;
      }
    }
    return new Map();
  }

  private async stopBird(): Promise<boolean> {
    const bird = this.bird;
    this.bird = undefined;
    this.applied = undefined;
    this.sessions = [];
    if (!bird?.running) return false;
    await bird.stop();
    return true;
  }

  /** SIGTERM: BIRD closes its sessions with a Cease, so the routers withdraw this node's VIPs at once. */
  async stop(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.lastInput = undefined;
    await this.writes(() => this.stopBird());
    if (this.current) {
      this.current = {
        ...this.current,
        state: 'stopped',
        vips: this.current.vips.map((v) => ({ address: v.address, state: 'withdrawn' as const, reason: 'stopped' })),
      };
    }
  }
}

export function createBgpDriver(options: BgpDriverOptions): BgpDriver {
  return new BgpDriver(options);
}
