import { TestkitError } from '../errors.js';
import { isRoot } from '../platform.js';
import { describeSysroot, ensureSysroot } from '../system/sysroot.js';
import { selectKernel } from '../uml/select.js';

/**
 * Fails the system project at once when it cannot run, and makes what its tests boot (the
 * Debian root, the UML kernel) before any test's clock starts.
 */
export default async function setup(): Promise<void> {
  if (!isRoot()) throw new TestkitError('TESTKIT_NOT_ROOT', 'the system tests boot a UML kernel and need root');
  const log = (line: string) => console.error(line);
  const sysroot = await ensureSysroot(log);
  log(`testkit: ${describeSysroot(sysroot)}`);
  const { line } = await selectKernel(log);
  log(`testkit: ${line}`);
}
