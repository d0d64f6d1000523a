import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestkitError } from './errors.js';
import { sweepStaleNamespaces } from './netns/cleanup.js';
import { TESTKIT_ROOT } from './paths.js';
import { hostHasIpvs, isRoot } from './platform.js';
import { describeSysroot, ensureSysroot } from './system/sysroot.js';
import { aptGet, missingPackages } from './uml/debian.js';
import { selectKernel } from './uml/select.js';

export function requiredDebianPackages(): string[] {
  return readFileSync(join(TESTKIT_ROOT, 'debian-packages.txt'), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/**
 * Makes this machine able to run every suite: the Debian packages (installed with apt-get
 * when root; otherwise a coded error naming them), the UML kernel and busybox in the
 * cache, the system tests' Debian root (root only), and no namespaces left over from an
 * interrupted run.
 */
export async function prepare(log: (line: string) => void = console.log): Promise<void> {
  const missing = await missingPackages(requiredDebianPackages());
  if (missing.length > 0) {
    if (!isRoot()) {
      throw new TestkitError(
        'TESTKIT_MISSING_PACKAGE',
        `missing Debian packages: ${missing.join(' ')} (apt-get install them as root)`,
      );
    }
    log(`testkit: installing ${missing.join(' ')} with apt-get`);
    await aptGet(['install', '-y', '--no-install-recommends', ...missing]);
  }
  if (!(await hostHasIpvs())) {
    // The kernel suites run in UML here: choose the kernel now, and say which and why.
    const { line, assets } = await selectKernel(log);
    log(`testkit: ${line}`);
    log(`testkit: kernel binary ${assets.kernel}`);
  }
  if (isRoot()) {
    // The system tests' Debian root: built once per machine (minutes), kept in the cache.
    log(`testkit: ${describeSysroot(await ensureSysroot(log))}`);
    const swept = await sweepStaleNamespaces();
    if (swept.length > 0) log(`testkit: removed ${swept.length} namespaces left by interrupted runs`);
  } else {
    log('testkit: not root: namespace and kernel tests will fail (they need root)');
  }
}
