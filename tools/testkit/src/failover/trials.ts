import { FailoverLab, type PairNode, waitFor } from './lab.js';
import { startProbe } from './probe.js';
import { type OutageSummary, summarize } from './stats.js';

/** An HA implementation the failover benchmarks run on the pair (sluice-heartbeat, keepalived, the appliance). */
export interface PairImplementation {
  readonly name: string;
  /** Starts the implementation on one node: its processes in the node's namespace. */
  start(node: PairNode, lab: FailoverLab): Promise<void>;
  /** Once, before the first trial (an appliance configures itself through its API). */
  prepare?(): Promise<void>;
  /** What the node's processes said (a failed trial's message quotes it). */
  log(node: PairNode): string;
  /**
   * Resolves once both nodes run as a pair (the backup has heard the master): for an
   * implementation slower to start than the settle time. Absent: the settle time alone.
   */
  ready?(): Promise<void>;
  /** How long the pair runs before the probe starts (steady state, ms; default 1000). */
  readonly settleMs?: number;
  /** How long the master alone may take to hold the floating IP (ms; default 30 s). */
  readonly electMs?: number;
  /** How long the client probes (ms; default 5000): the outage must end within it. */
  readonly probeMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Failover trials: lba (the master) starts, then lbb; once the client is served by lba, a
 * probe every 10 ms; at a random phase of the heartbeat cycle lba's machine dies (every
 * process SIGKILLed and its cables pulled at once). The outage is the longest silence the
 * client saw; it must end with lbb answering. Returns the outages (ms), in trial order.
 */
export async function failoverTrials(
  lab: FailoverLab,
  impl: PairImplementation,
  options: { trials: number; onTrial?: (trial: number, gapMs: number) => void },
): Promise<number[]> {
  const { lba, lbb } = lab.nodes;
  const gaps: number[] = [];
  for (let trial = 0; trial < options.trials; trial++) {
    await lab.startEcho(lba);
    await lab.startEcho(lbb);
    await impl.start(lba, lab);
    await waitFor('lba holds the VIP', () => lab.holdsVip(lba), impl.electMs ?? 30_000).catch((error: Error) => {
      throw new Error(`${impl.name}: ${error.message}; lba said: ${impl.log(lba)}`);
    });
    await impl.start(lbb, lab);
    await impl.ready?.();
    await waitFor('client served by lba', async () => (await lab.servedBy()) === 'lba');
    await sleep(impl.settleMs ?? 1000); // steady state
    const probe = await startProbe(lab.client, FailoverLab.VIP, FailoverLab.ECHO_PORT, {
      intervalMs: 10,
      durationMs: impl.probeMs ?? 5000,
    });
    // A random phase of the heartbeat / advertisement cycle.
    await sleep(500 + Math.random() * 1000);
    await lab.crash(lba);
    const result = await probe.result;
    if (result.before !== 'lba' || result.lastFrom !== 'lbb') {
      throw new Error(
        `${impl.name} trial ${trial}: unexpected probe result ${JSON.stringify(result)}\nlbb said: ${impl.log(lbb)}`,
      );
    }
    gaps.push(result.gapMs);
    options.onTrial?.(trial, result.gapMs);
    await lab.killProcesses(lbb);
    await lab.flushVip();
    await lab.plugCables(lba);
    await sleep(200);
  }
  return gaps;
}

/** The implementation of that name, or an error naming those there are. */
export function pickImplementation(implementations: readonly PairImplementation[], name: string): PairImplementation {
  const impl = implementations.find((i) => i.name === name);
  if (impl === undefined) {
    throw new Error(`unknown implementation ${name}: ${implementations.map((i) => i.name).join(', ')}`);
  }
  return impl;
}

/**
 * The named implementations' failover trials, one implementation after the other on the
 * same lab (progress on stderr); their outages summarized, in the order of `names`.
 */
export async function compareFailovers(
  lab: FailoverLab,
  implementations: readonly PairImplementation[],
  names: readonly string[],
  trials: number,
): Promise<OutageSummary[]> {
  const summaries: OutageSummary[] = [];
  for (const name of names) {
    const impl = pickImplementation(implementations, name);
    await impl.prepare?.();
    const gaps = await failoverTrials(lab, impl, {
      trials,
      onTrial: (trial, gapMs) => process.stderr.write(`${name} trial ${trial + 1}/${trials}: ${gapMs} ms\n`),
    });
    summaries.push(summarize(name, gaps));
  }
  return summaries;
}
