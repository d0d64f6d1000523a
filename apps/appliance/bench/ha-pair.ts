// What the HA benchmarks share: the appliance pair in @sluice/testkit's FailoverLab (lba
// the master, lbb the slave, one `serve` daemon per balancer namespace, HA configured
// through the REST API) and the machine the figures were measured on. The daemon runs inside the namespace, so that a node's death (FailoverLab's
// crash: every process in the namespace) takes everything the daemon started with it.
import { execFileSync } from 'node:child_process';
import { FailoverLab, type PairImplementation, type PairLabel, type PairNode, waitFor } from '@sluice/testkit';
import type { HaStatus } from '../src/model/ha-status.ts';
import { ServeNode } from '../test/e2e/harness/serve-node.ts';

/** The heartbeat's UDP ports: link i on 694 + i (serve's default --ha-link-port). */
export const HEARTBEAT_PORTS = [694, 695] as const;

/** The shared heartbeat section: the pair seen from the master (lbb is its peer), both links, optional ping nodes. */
export function heartbeatSection(lab: FailoverLab, pingNodes: readonly string[] = []) {
  const { lbb } = lab.nodes;
  return {
    enabled: true,
    peer: { name: 'lbb', address: lbb.lanAddress },
    links: [{ interface: lbb.lan }, { interface: lbb.cable, peerAddress: lbb.cableAddress }],
    key: 'bench-heartbeat-key-0123456789',
    pingNodes: [...pingNodes],
    autoFailback: true,
  };
}

/** One appliance of the pair: `serve` in its namespace, lba `--ha-role master`, lbb `--ha-role slave` naming lba on both links. */
export class ApplianceNode extends ServeNode {
  readonly node: PairNode;

  constructor(lab: FailoverLab, node: PairNode, root: string) {
    const master = lab.nodes.lba;
    const role =
      node.label === 'lba'
        ? ['--ha-role', 'master', '--ha-name', 'lba']
        : ['--ha-role', 'slave', '--ha-peer', `lba@${master.lanAddress},${master.cableAddress}`];
    super(node.label, node.host, root, { args: role });
    this.node = node;
  }

  ha(): Promise<HaStatus> {
    return this.api.get<HaStatus>('/ha');
  }
}

/**
 * The appliance pair as a failover implementation: `prepare()` starts both nodes once,
 * configures the floating IP and the heartbeat through the API and stops them again; each
 * trial then starts the daemons on their data directories (the configuration is there).
 */
export class AppliancePair implements PairImplementation {
  readonly name = 'appliance';
  // A master alone waits for its peer (initdead) before it takes the floating IP.
  readonly electMs = 90_000;
  // The outage (up to the deadtime and more) plus the random phase (up to 1.5 s) must fit.
  readonly probeMs = 8000;
  readonly nodes: Record<PairLabel, ApplianceNode>;
  private readonly lab: FailoverLab;

  constructor(lab: FailoverLab, root: string) {
    this.lab = lab;
    this.nodes = { lba: new ApplianceNode(lab, lab.nodes.lba, root), lbb: new ApplianceNode(lab, lab.nodes.lbb, root) };
  }

  /**
   * Both daemons with their API; the first time, HA configured (the slave first, while it
   * is still standalone and editable, so that it accepts the master's versions) and the
   * floating IP added; resolves once lba is active.
   */
  async up(): Promise<void> {
    const { lba, lbb } = this.nodes;
    await Promise.all([lba.startWithApi(), lbb.startWithApi()]);
    const current = await lbb.api.get<{ config: { heartbeat?: unknown } }>('/config');
    if (current.config.heartbeat === undefined) {
      const section = heartbeatSection(this.lab);
      await lbb.api.write('PUT', '/heartbeat', section);
      await lba.api.write('PUT', '/heartbeat', section);
      // The heartbeat starts passive: edits wait for the election.
      await waitFor('lba active', async () => (await lba.ha()).state === 'active', 90_000);
      await lba.api.write('POST', '/floating-ips', {
        address: FailoverLab.VIP_CIDR,
        interface: this.lab.nodes.lba.lan,
      });
    }
    await this.untilSteady();
  }

  /** A new heartbeat section (ping nodes) written on the master; resolves once the slave has it and the pair is whole. */
  async configure(pingNodes: readonly string[]): Promise<void> {
    const { lba, lbb } = this.nodes;
    const version = (
      await lba.api.write<{ version: number }>('PUT', '/heartbeat', heartbeatSection(this.lab, pingNodes))
    ).version;
    await waitFor('lbb has the new heartbeat section', async () => (await lbb.api.version()) >= version, 60_000);
    await this.untilSteady();
  }

  /** lba active and holding the floating IP, lbb passive, the link up on both. */
  async untilSteady(timeoutMs = 90_000): Promise<void> {
    const { lba, lbb } = this.nodes;
    await waitFor(
      'lba active, lbb passive, link up',
      async () => {
        const [a, b] = await Promise.all([lba.ha(), lbb.ha()]);
        return (
          a.state === 'active' &&
          b.state === 'passive' &&
          a.link === 'up' &&
          b.link === 'up' &&
          (await this.lab.holdsVip(this.lab.nodes.lba))
        );
      },
      timeoutMs,
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}\nlba said:\n${this.log(this.lab.nodes.lba)}\nlbb said:\n${this.log(this.lab.nodes.lbb)}`,
      );
    });
  }

  /** Every process of both nodes stopped (SIGKILL), the floating IP removed. */
  async down(): Promise<void> {
    for (const node of Object.values(this.lab.nodes)) await this.lab.killProcesses(node);
    await this.lab.flushVip();
  }

  async prepare(): Promise<void> {
    await this.up();
    await this.down();
  }

  /** The daemon, and the forwarder for ready() (the API client logs in again by itself). */
  async start(node: PairNode): Promise<void> {
    const appliance = this.nodes[node.label];
    await appliance.startForwarder();
    appliance.spawn();
  }

  /** The daemon takes seconds to start: the trial waits for the pair, as the API tells it. */
  ready(): Promise<void> {
    return this.untilSteady();
  }

  log(node: PairNode): string {
    return this.nodes[node.label].log();
  }
}

/** `lscpu`'s model name, whether the CPU has AVX-512 / AMX, the kernel, the date: the figures' first line. */
export function machine(): string {
  const lscpu = execFileSync('lscpu', { encoding: 'utf8' });
  const model = /^Model name:\s*(.+)$/m.exec(lscpu)?.[1]?.trim() ?? 'unknown CPU';
  const flags = /^Flags:\s*(.+)$/m.exec(lscpu)?.[1]?.split(/\s+/) ?? [];
  const has = (prefix: string) => (flags.some((f) => f.startsWith(prefix)) ? 'yes' : 'no');
  const cpus = /^CPU\(s\):\s*(\d+)/m.exec(lscpu)?.[1] ?? '?';
  const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  return `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${model} (${cpus} CPUs; AVX-512: ${has('avx512')}, AMX: ${has('amx')}), host kernel ${kernel}, Node ${process.version}`;
}
