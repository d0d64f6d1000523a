import type { KernelAssets } from './assets.js';
import { bootKernel } from './boot.js';
import type { ProbeResult } from './choice.js';

/** Printed by the probe's job when Node runs in the guest and IPVS is there. */
const MARK = 'testkit-probe-ok';

// Node, not a shell: a kernel that boots but cannot run Node (as unstable's 7.2 with
// io_uring on) is as useless to the suites as one that panics.
const JOB = `const fs=require('node:fs');if(!fs.existsSync('/proc/net/ip_vs'))throw new Error('no /proc/net/ip_vs: IPVS is missing');console.log('${MARK}',require('node:os').release())`;

/** The line that says why a boot failed: the kernel's panic, else the last words it wrote. */
export function failureLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim());
  const panic = lines.find((l) => /Kernel panic|fatal_sigsegv|Segmentation fault|Killed/.test(l));
  const last = lines.filter((l) => l && !/^(console|output):$/.test(l)).slice(-1)[0];
  return (panic ?? last ?? 'no output').slice(0, 300);
}

/** Boots a candidate once with a trivial job: Node runs, and IPVS is there. */
export async function probeKernel(assets: KernelAssets): Promise<ProbeResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const result = await bootKernel(assets, { command: [process.execPath, '-e', JOB], timeoutMs: 180_000, cwd: '/' });
    const release = new RegExp(`${MARK} (\\S+)`).exec(result.output)?.[1];
    if (result.exitCode === 0 && release) return { booted: true, release, seconds: seconds() };
    return {
      booted: false,
      seconds: seconds(),
      failure: `the probe job failed (exit ${result.exitCode}): ${failureLine(result.output)}`,
    };
  } catch (error) {
    return {
      booted: false,
      seconds: seconds(),
      failure: failureLine(error instanceof Error ? error.message : String(error)),
    };
  }
}
