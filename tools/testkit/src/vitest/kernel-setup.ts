import { TestkitError } from '../errors.js';
import { which } from '../exec.js';
import { hostHasIpvs, isRoot } from '../platform.js';

/** In the guest (or on a host with IPVS): make sure the kernel really has what the tests need. */
export default async function setup(): Promise<void> {
  if (!isRoot()) throw new TestkitError('TESTKIT_NOT_ROOT', 'the kernel tests need root');
  if (!(await hostHasIpvs())) {
    throw new TestkitError(
      'TESTKIT_NO_IPVS',
      'this kernel has no IPVS (/proc/net/ip_vs is missing after modprobe ip_vs)',
    );
  }
  for (const binary of ['ip', 'ipvsadm']) {
    if (!which(binary)) throw new TestkitError('TESTKIT_MISSING_BINARY', `the kernel tests need \`${binary}\``);
  }
}
