import { readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { SCHEDULERS, type Scheduler, type TunnelSpec } from './types.js';

export interface Capabilities {
  kernel: string;
  /** Schedulers built in, loaded, or available as modules (the kernel loads them on first use). */
  schedulers: Scheduler[];
  /** Tunnel encapsulations for `tun` forwarding: ipip always; gue and gre from Linux 5.3. */
  tunnelTypes: TunnelSpec['type'][];
}

export interface CapabilityProbe {
  kernelRelease(): string;
  readText(path: string): Promise<string | undefined>;
}

const systemProbe: CapabilityProbe = {
  kernelRelease: () => release(),
  readText: (path) => readFile(path, 'utf8').catch(() => undefined),
};

function atLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split(/[.-]/).map(Number);
  return a > major || (a === major && b >= minor);
}

/**
 * What this kernel offers, read from its module lists rather than by trying: schedulers
 * are modules the kernel loads on first use, so "available" means built in, loaded, or
 * installed for this kernel. Modules are global, so the answer holds in every namespace.
 * A kernel with no module lists for it (no /lib/modules tree, as a kernel built without
 * module support has) is read from its symbols instead: each scheduler built in has its
 * `ip_vs_<name>_schedule` function in /proc/kallsyms, which is read only then.
 */
export async function capabilities(probe: CapabilityProbe = systemProbe): Promise<Capabilities> {
  const kernel = probe.kernelRelease();
  const lists = await Promise.all(
    ['/proc/modules', `/lib/modules/${kernel}/modules.dep`, `/lib/modules/${kernel}/modules.builtin`].map((p) =>
      probe.readText(p),
    ),
  );
  const text = lists.join('\n');
  const listed = (module: string) => new RegExp(`(^|[\\s/])${module}(\\.ko(\\.[a-z]+)?)?[\\s:]`, 'm').test(text);
  let schedulers = SCHEDULERS.filter((s) => listed(`ip_vs_${s}`));
  if (lists[1] === undefined && lists[2] === undefined) {
    const symbols = (await probe.readText('/proc/kallsyms')) ?? '';
    const inKernel = (s: Scheduler) => new RegExp(` ip_vs_${s}_schedule(\\s|$)`, 'm').test(symbols);
    schedulers = SCHEDULERS.filter((s) => schedulers.includes(s) || inKernel(s));
  }
  return {
    kernel,
    schedulers,
    tunnelTypes: atLeast(kernel, 5, 3) ? ['ipip', 'gue', 'gre'] : ['ipip'],
  };
}
