import type { KernelRunOptions, KernelRunResult } from './boot.js';
import { bootKernel } from './boot.js';
import { selectKernel } from './select.js';

export { BOOT_MODULES, defaultGuestEnv, type KernelRunOptions, type KernelRunResult } from './boot.js';

/**
 * Runs one command as root in the IPVS test kernel this machine boots (see
 * `selectKernel`): the host's file system read-only under an overlay, IPVS loaded.
 */
export async function runInKernel(options: KernelRunOptions): Promise<KernelRunResult> {
  const { assets } = await selectKernel();
  return bootKernel(assets, options);
}
