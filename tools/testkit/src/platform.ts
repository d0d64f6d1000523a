import { existsSync } from 'node:fs';
import { run, which } from './exec.js';

export const isRoot = (): boolean => process.getuid?.() === 0;

/** True when this kernel has IPVS now, or (as root) after `modprobe ip_vs`. */
export async function hostHasIpvs(): Promise<boolean> {
  if (existsSync('/proc/net/ip_vs')) return true;
  if (!isRoot() || !which('modprobe')) return false;
  await run('modprobe', ['ip_vs']).catch(() => undefined);
  return existsSync('/proc/net/ip_vs');
}

/** Where kernel tests run: in the UML guest already, directly on an IPVS host, or in a VM. */
export type KernelMode = 'guest' | 'host' | 'vm';

export async function kernelMode(): Promise<KernelMode> {
  if (process.env.SLUICE_KERNEL_MODE === 'guest') return 'guest';
  return isRoot() && (await hostHasIpvs()) ? 'host' : 'vm';
}
