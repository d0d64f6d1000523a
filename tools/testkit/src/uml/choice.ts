// Which UML kernel the rig runs: the decision alone, free of I/O, so a test can walk every
// outcome. `select.ts` carries out the steps it names (probe, build, record).
import { describeHost, type HostFingerprint, sameHost } from './host.js';

/**
 * - `stock`: Debian 12's `user-mode-linux` package as it is.
 * - `patched`: the same version built from Debian 12's `linux-source-6.1` with
 *   `uml/fp-size.patch` and `uml/kernel.config` (boots where the host's XSAVE area is larger
 *   than stock UML's fixed buffer: Intel CPUs with AMX).
 * - `custom`: a `linux.uml` named by `SLUICE_UML_KERNEL` (for example Debian unstable's).
 */
export type KernelKind = 'stock' | 'patched' | 'custom';

/** Tried in this order when nothing is forced: the cheapest that boots wins. */
export const PREFERENCE: readonly KernelKind[] = ['stock', 'patched'];

/** What booting a candidate once with a trivial job showed. */
export interface ProbeResult {
  booted: boolean;
  /** The guest's `uname -r`, when it booted. */
  release?: string;
  /** How long the probe boot took. */
  seconds: number;
  /** Why it did not boot: the panic line of the console, or the error of the step before. */
  failure?: string;
  /** How long building the kernel took, when this probe had to build it first. */
  buildSeconds?: number;
}

export type Step =
  | { action: 'probe'; kernel: KernelKind }
  | { action: 'use'; kernel: KernelKind }
  | { action: 'fail'; reason: string };

/**
 * The next step, given what is forced and what the probes so far showed: probe the first
 * candidate not yet probed, use the first that booted, and fail (naming every failure)
 * when none did. A forced kernel is the only candidate: it is never replaced by another.
 */
export function nextStep(forced: KernelKind | undefined, probes: Partial<Record<KernelKind, ProbeResult>>): Step {
  const candidates = forced ? [forced] : PREFERENCE;
  for (const kernel of candidates) {
    const probe = probes[kernel];
    if (probe === undefined) return { action: 'probe', kernel };
    if (probe.booted) return { action: 'use', kernel };
  }
  const failures = candidates.map((kernel) => `${kernel}: ${probes[kernel]?.failure ?? 'did not boot'}`);
  const why = forced
    ? `the kernel forced by SLUICE_UML_KERNEL=${forced === 'custom' ? '<path>' : forced} did not boot`
    : 'no UML kernel boots on this host';
  return { action: 'fail', reason: `${why}:\n  ${failures.join('\n  ')}` };
}

/** What the rig chose on this host, kept beside the kernels so later runs skip the probes. */
export interface KernelChoice {
  host: HostFingerprint;
  /** What the candidates are made of (package versions, cache key): a new one probes again. */
  keys: Partial<Record<KernelKind, string>>;
  forced?: KernelKind;
  probes: Partial<Record<KernelKind, ProbeResult>>;
  chosen: KernelKind;
  at: string;
}

/** A recorded choice stands while the host, the forcing and every probed candidate are the same. */
export function choiceStands(
  record: KernelChoice,
  host: HostFingerprint,
  forced: KernelKind | undefined,
  keys: Partial<Record<KernelKind, string>>,
): boolean {
  if (!sameHost(record.host, host) || record.forced !== forced) return false;
  return Object.keys(record.probes).every((kind) => record.keys[kind as KernelKind] === keys[kind as KernelKind]);
}

function seconds(s: number): string {
  return s >= 60 ? `${Math.floor(s / 60)}m${Math.round(s % 60)}s` : `${s.toFixed(1)} s`;
}

/** The one line the test run starts with: what runs, why, and what each step took. */
export function describeChoice(record: KernelChoice, reused: boolean): string {
  const chosen = record.probes[record.chosen];
  const parts = Object.entries(record.probes).map(([kind, probe]) => {
    const build = probe.buildSeconds === undefined ? '' : `built in ${seconds(probe.buildSeconds)}, `;
    const outcome = probe.booted
      ? `booted in ${seconds(probe.seconds)}`
      : `failed in ${seconds(probe.seconds)}: ${probe.failure ?? 'no reason'}`;
    return `${kind} ${build}${outcome}`;
  });
  const how = record.forced ? 'forced by SLUICE_UML_KERNEL' : 'probed';
  const when = reused ? `, recorded ${record.at}` : '';
  return `UML kernel ${chosen?.release ?? '?'} (${record.chosen}; ${how}: ${parts.join('; ')}) on ${describeHost(record.host)}${when}`;
}
