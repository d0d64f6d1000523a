// Carries out `choice.ts`: probes the candidates in order (building the patched kernel
// when its turn comes), records the outcome beside the kernels, and reuses that record
// while the host and the candidates stay the same.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { TestkitError } from '../errors.js';
import { CACHE_DIR } from '../paths.js';
import { customKernel, type KernelAssets, stockKernel } from './assets.js';
import { patchedKernel, patchedTarget } from './build.js';
import {
  choiceStands,
  describeChoice,
  type KernelChoice,
  type KernelKind,
  nextStep,
  type ProbeResult,
} from './choice.js';
import { describeHost, hostFingerprint } from './host.js';
import { probeKernel } from './probe.js';

export const CHOICE_FILE = join(CACHE_DIR, 'kernel-choice.json');

export interface KernelSelection {
  assets: KernelAssets;
  record: KernelChoice;
  /** The record was read, not made now: nothing was probed or built. */
  reused: boolean;
  /** The one line that says which kernel runs, why, and what each step took. */
  line: string;
}

/** `SLUICE_UML_KERNEL`: `stock`, `patched`, or the path of another `linux.uml` (custom). */
export function forcedKernel(value: string | undefined): KernelKind | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  return v === 'stock' || v === 'patched' ? v : 'custom';
}

function readChoice(): KernelChoice | undefined {
  try {
    return JSON.parse(readFileSync(CHOICE_FILE, 'utf8')) as KernelChoice;
  } catch {
    return undefined;
  }
}

function writeChoice(record: KernelChoice): void {
  const temp = `${CHOICE_FILE}.${process.pid}`;
  writeFileSync(temp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temp, CHOICE_FILE);
}

async function choose(log: (line: string) => void): Promise<KernelSelection> {
  const host = hostFingerprint();
  const forced = forcedKernel(process.env.SLUICE_UML_KERNEL);
  const stock = await stockKernel();
  const patched = patchedTarget(stock, stock.root);
  const custom = forced === 'custom' ? await customKernel(process.env.SLUICE_UML_KERNEL as string) : undefined;
  const keys: Partial<Record<KernelKind, string>> = {
    stock: stock.key,
    patched: patched.key,
    ...(custom ? { custom: custom.key } : {}),
  };

  const assetsOf = async (kind: KernelKind): Promise<{ assets: KernelAssets; buildSeconds?: number }> => {
    if (kind === 'stock') return { assets: stock };
    if (kind === 'custom') return { assets: custom as KernelAssets };
    return patchedKernel(stock, patched, log);
  };
  const withRelease = (assets: KernelAssets, probe: ProbeResult | undefined): KernelAssets =>
    probe?.release && !assets.moduleDir ? { ...assets, version: probe.release } : assets;

  // A forced kernel is probed on every run and never recorded: the record is what this
  // machine chose by itself, and a forced run must not replace it.
  const recorded = forced ? undefined : readChoice();
  if (recorded && choiceStands(recorded, host, forced, keys)) {
    const { assets } = await assetsOf(recorded.chosen);
    if (existsSync(assets.kernel)) {
      return {
        assets: withRelease(assets, recorded.probes[recorded.chosen]),
        record: recorded,
        reused: true,
        line: describeChoice(recorded, true),
      };
    }
  }

  const probes: Partial<Record<KernelKind, ProbeResult>> = {};
  const made: Partial<Record<KernelKind, KernelAssets>> = {};
  for (;;) {
    const step = nextStep(forced, probes);
    if (step.action === 'fail') {
      throw new TestkitError('TESTKIT_KERNEL_BOOT', `${step.reason}\n(${describeHost(host)})`);
    }
    if (step.action === 'use') {
      const record: KernelChoice = {
        host,
        keys,
        ...(forced ? { forced } : {}),
        probes,
        chosen: step.kernel,
        at: new Date().toISOString(),
      };
      if (!forced) writeChoice(record);
      const assets = withRelease(made[step.kernel] as KernelAssets, probes[step.kernel]);
      return { assets, record, reused: false, line: describeChoice(record, false) };
    }
    log(`testkit: probing the ${step.kernel} UML kernel`);
    try {
      const { assets, buildSeconds } = await assetsOf(step.kernel);
      made[step.kernel] = assets;
      const probe = await probeKernel(assets);
      probes[step.kernel] = buildSeconds === undefined ? probe : { ...probe, buildSeconds };
    } catch (error) {
      // A kernel that cannot be had (its build failed) is a candidate that did not boot.
      const message = error instanceof Error ? error.message : String(error);
      probes[step.kernel] = { booted: false, seconds: 0, failure: message };
    }
  }
}

let selection: Promise<KernelSelection> | undefined;

/**
 * The UML kernel this machine runs the kernel suites in, chosen once per process: the
 * record in the cache when it still stands, else probe (and build) now. Fails with
 * TESTKIT_KERNEL_BOOT, naming every candidate's failure, when none boots.
 */
export function selectKernel(log: (line: string) => void = (line) => console.error(line)): Promise<KernelSelection> {
  selection ??= choose(log).catch((error: unknown) => {
    selection = undefined;
    throw error;
  });
  return selection;
}

/**
 * Where a benchmark in the UML kernel ran, for its report: the host's CPUs (model and the
 * flags that matter to UML), its kernel, and which UML kernel (release, stock or patched).
 * A figure from UML means little without all three.
 */
export async function rigDescription(): Promise<string> {
  const { assets } = await selectKernel();
  const host = hostFingerprint();
  return `${availableParallelism()} × ${host.cpu} [${host.flags.join(' ')}], host kernel ${host.kernel}, Debian 12, inside the rig's User-Mode Linux kernel ${assets.version} (${assets.kind})`;
}
