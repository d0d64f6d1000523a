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
 */
export async function capabilities(probe: CapabilityProbe = systemProbe): Promise<Capabilities> {
  const kernel = probe.kernelRelease();
  const lists = await Promise.all(
    ['/proc/modules', `/lib/modules/${kernel}/modules.dep`, `/lib/modules/${kernel}/modules.builtin`].map((p) =>
      probe.readText(p),
    ),
  );
  const text = lists.join('\n');
  const has = (module: string) => new RegExp(`(^|[\\s/])${module}(\\.ko(\\.[a-z]+)?)?[\\s:]`, 'm').test(text);
  return {
    kernel,
    schedulers: SCHEDULERS.filter((s) => has(`ip_vs_${s}`)),
    tunnelTypes: atLeast(kernel, 5, 3) ? ['ipip', 'gue', 'gre'] : ['ipip'],
  };
}
