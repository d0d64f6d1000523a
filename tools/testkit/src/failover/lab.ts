import { run } from '../exec.js';
import type { Host } from '../netns/host.js';
import { Lab } from '../netns/lab.js';
import { OBSERVER_PIDS } from './address-watch.js';

export type PairLabel = 'lba' | 'lbb';
export const PAIR_LABELS: readonly PairLabel[] = ['lba', 'lbb'];

/** One balancer of the pair. Interface names are the same on both (a shared configuration names them). */
export interface PairNode {
  label: PairLabel;
  peer: PairLabel;
  host: Host;
  /** Its port on the switch, where the floating IP goes. */
  lan: string;
  lanAddress: string;
  /** Its end of the balancers' direct cable. */
  cable: string;
  cableAddress: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function kill(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Polls `check` every 50 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * The failover benchmarks' machine room: a client, a load host and two balancers on a
 * switch (the LAN), the balancers also joined by a direct cable. The floating IP lives on
 * the LAN; each balancer runs a UDP echo server answering with its name, so the client
 * sees who holds the floating IP.
 */
export class FailoverLab {
  static readonly VIP = '192.0.2.100';
  static readonly VIP_CIDR = '192.0.2.100/24';
  static readonly ECHO_PORT = 7;

  readonly lab: Lab;
  readonly client: Host;
  /** A host on the switch that carries no traffic: where a benchmark runs its CPU burners. */
  readonly load: Host;
  readonly nodes: Record<PairLabel, PairNode>;

  private constructor(lab: Lab, client: Host, load: Host, nodes: Record<PairLabel, PairNode>) {
    this.lab = lab;
    this.client = client;
    this.load = load;
    this.nodes = nodes;
  }

  static async create(): Promise<FailoverLab> {
    const lab = await Lab.create();
    const sw = await lab.switch('sw');
    const client = await lab.host('client');
    await lab.attach(client, sw, ['192.0.2.10/24']);
    const load = await lab.host('load');
    const lba = await lab.host('lba');
    const lbb = await lab.host('lbb');
    const lan = { lba: await lab.attach(lba, sw, ['192.0.2.1/24']), lbb: await lab.attach(lbb, sw, ['192.0.2.2/24']) };
    const direct = await lab.link(lba, lbb, { aAddrs: ['198.51.100.1/24'], bAddrs: ['198.51.100.2/24'] });
    const nodes: Record<PairLabel, PairNode> = {
      lba: {
        label: 'lba',
        peer: 'lbb',
        host: lba,
        lan: lan.lba,
        lanAddress: '192.0.2.1',
        cable: direct.aIf,
        cableAddress: '198.51.100.1',
      },
      lbb: {
        label: 'lbb',
        peer: 'lba',
        host: lbb,
        lan: lan.lbb,
        lanAddress: '192.0.2.2',
        cable: direct.bIf,
        cableAddress: '198.51.100.2',
      },
    };
    return new FailoverLab(lab, client, load, nodes);
  }

  peerOf(node: PairNode): PairNode {
    return this.nodes[node.peer];
  }

  /** The node's echo server (a node's death kills it: start it again with the node). */
  async startEcho(node: PairNode): Promise<void> {
    await node.host.serveUdpEcho({ name: node.label, port: FailoverLab.ECHO_PORT });
  }

  async holdsVip(node: PairNode): Promise<boolean> {
    return (await node.host.ip(['-br', 'addr'])).stdout.includes(`${FailoverLab.VIP_CIDR}`);
  }

  /** Who answers on the floating IP, as the client sees it (undefined: nobody within 300 ms). */
  async servedBy(): Promise<string | undefined> {
    try {
      return (await this.client.udpRequest(FailoverLab.VIP, FailoverLab.ECHO_PORT, 'x', 300)).split(':')[0];
    } catch {
      return undefined;
    }
  }

  /**
   * Every process in the node's namespace (a daemon's children too, whatever their process
   * group), but the benchmark's own address monitors.
   */
  async pids(node: PairNode): Promise<number[]> {
    const { stdout } = await run('ip', ['netns', 'pids', node.host.netns]);
    return stdout
      .split('\n')
      .filter((l) => /^\d+$/.test(l.trim()))
      .map(Number)
      .filter((pid) => !OBSERVER_PIDS.has(pid));
  }

  /** SIGKILLs every process of the node, again until none is left (one may be forking). */
  async killProcesses(node: PairNode): Promise<void> {
    let pids = await this.pids(node);
    for (let round = 0; pids.length > 0; round++) {
      if (round > 100) throw new Error(`${node.label}: processes survive SIGKILL: ${pids.join(' ')}`);
      kill(pids);
      await sleep(20);
      pids = await this.pids(node);
    }
  }

  /**
   * The node's machine dies: every process SIGKILLed and both cables pulled at the same
   * instant (the pids are listed first, so that nothing slow sits between the two). The
   * stragglers are looked for once the cables are down: `ip -n` runs inside the namespace
   * and must not be taken for one.
   */
  async crash(node: PairNode): Promise<void> {
    const pids = await this.pids(node);
    const cables = [node.lan, node.cable].map((ifname) => node.host.ip(['link', 'set', ifname, 'down']));
    kill(pids);
    await Promise.all(cables);
    await this.killProcesses(node);
  }

  async plugCables(node: PairNode, up = true): Promise<void> {
    for (const ifname of [node.lan, node.cable]) await node.host.ip(['link', 'set', ifname, up ? 'up' : 'down']);
  }

  /**
   * Drops (or lets through again) every UDP datagram to the given ports in and out of the
   * node (nftables): its heartbeat links cut, the LAN and everything else left up.
   */
  async cutUdp(node: PairNode, ports: readonly number[], cut = true): Promise<void> {
    if (!cut) {
      await node.host.exec('nft', ['delete', 'table', 'inet', 'udpcut']);
      return;
    }
    const set = `{ ${ports.join(', ')} }`;
    // One command line, one transaction: both directions are cut at the same instant.
    await node.host.exec('nft', [
      [
        'add table inet udpcut',
        'add chain inet udpcut in { type filter hook input priority 0; }',
        'add chain inet udpcut out { type filter hook output priority 0; }',
        `add rule inet udpcut in udp dport ${set} drop`,
        `add rule inet udpcut out udp dport ${set} drop`,
      ].join('; '),
    ]);
  }

  /** Removes the floating IP wherever a killed daemon left it. */
  async flushVip(): Promise<void> {
    for (const node of Object.values(this.nodes)) {
      await node.host.ip(['addr', 'flush', 'dev', node.lan, 'to', `${FailoverLab.VIP}/32`]);
    }
  }

  destroy(): Promise<void> {
    return this.lab.destroy();
  }
}
