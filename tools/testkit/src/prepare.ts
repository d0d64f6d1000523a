import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestkitError } from './errors.js';
import { run } from './exec.js';
import { sweepStaleNamespaces } from './netns/cleanup.js';
import { TESTKIT_ROOT } from './paths.js';
import { isRoot } from './platform.js';
import { ensureKernelAssets } from './uml/assets.js';

export function requiredDebianPackages(): string[] {
  return readFileSync(join(TESTKIT_ROOT, 'debian-packages.txt'), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean);
}

async function installed(pkg: string): Promise<boolean> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  const status = await run('dpkg-query', ['-W', '-f=${Status}', pkg]).catch(() => undefined);
  return status?.stdout.trim() === 'install ok installed';
}

/**
 * Makes this machine able to run every suite: the Debian packages (installed with apt-get
 * when root; otherwise a coded error naming them), the UML kernel and busybox in the
 * cache, and no namespaces left over from an interrupted run.
 */
export async function prepare(log: (line: string) => void = console.log): Promise<void> {
  const missing: string[] = [];
  for (const pkg of requiredDebianPackages()) if (!(await installed(pkg))) missing.push(pkg);
  if (missing.length > 0) {
    if (!isRoot()) {
      throw new TestkitError(
        'TESTKIT_MISSING_PACKAGE',
        `missing Debian packages: ${missing.join(' ')} (apt-get install them as root)`,
      );
    }
    log(`testkit: installing ${missing.join(' ')} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () =>
      run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env, timeoutMs: 900_000 });
    await install().catch(async () => {
      await run('apt-get', ['update'], { env, timeoutMs: 300_000 });
      await install();
    });
  }
  const assets = await ensureKernelAssets();
  log(`testkit: UML kernel ${assets.version} at ${assets.kernel}`);
  if (isRoot()) {
    const swept = await sweepStaleNamespaces();
    if (swept.length > 0) log(`testkit: removed ${swept.length} namespaces left by interrupted runs`);
  } else {
    log('testkit: not root: namespace and kernel tests will fail (they need root)');
  }
}
