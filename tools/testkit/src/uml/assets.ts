import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { TestkitError } from '../errors.js';
import { run } from '../exec.js';
import { CACHE_DIR } from '../paths.js';

export interface KernelAssets {
  /** The UML kernel binary (runs as an ordinary process). */
  kernel: string;
  /** Its module tree, `.../modules/<version>`. */
  moduleDir: string;
  /** The module version (`uname -r` in the guest). */
  version: string;
  /** A static busybox, the guest's init shell. */
  busybox: string;
}

/** Debian packages fetched (not installed) into the cache: the kernel and the init's shell. */
const PACKAGES = { uml: 'user-mode-linux', busybox: 'busybox-static' } as const;

async function aptDownload(pkg: string, into: string): Promise<void> {
  const attempt = () => run('apt-get', ['download', pkg], { cwd: into, timeoutMs: 300_000 });
  try {
    await attempt();
  } catch (error) {
    // A fresh machine may have empty package lists: refresh once (root only) and retry.
    if (process.getuid?.() !== 0) {
      throw new TestkitError(
        'TESTKIT_KERNEL_ASSETS',
        `apt-get download ${pkg} failed and refreshing the package lists needs root`,
        { cause: error },
      );
    }
    await run('apt-get', ['update'], { timeoutMs: 300_000 });
    await attempt();
  }
}

/** Downloads and unpacks one package into `<cache>/<name>` unless it is there already. */
async function ensurePackage(name: keyof typeof PACKAGES): Promise<string> {
  const target = join(CACHE_DIR, name);
  if (existsSync(join(target, '.complete'))) return target;
  mkdirSync(CACHE_DIR, { recursive: true });
  const work = await mkdtemp(join(CACHE_DIR, `.${name}-`));
  try {
    await aptDownload(PACKAGES[name], work);
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!deb) throw new TestkitError('TESTKIT_KERNEL_ASSETS', `apt-get download ${PACKAGES[name]} produced no .deb`);
    const root = join(work, 'root');
    await run('dpkg-deb', ['-x', join(work, deb), root], { timeoutMs: 300_000 });
    writeFileSync(join(root, '.complete'), `${deb}\n`);
    try {
      // Atomic: a parallel test process may have finished first, then its copy stands.
      renameSync(root, target);
    } catch (error) {
      if (!existsSync(join(target, '.complete'))) throw error;
    }
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Fetches (once, into `.cache/testkit`) and locates the UML kernel, its modules and busybox. */
export async function ensureKernelAssets(): Promise<KernelAssets> {
  const [uml, busybox] = await Promise.all([ensurePackage('uml'), ensurePackage('busybox')]);
  const modulesRoot = join(uml, 'usr/lib/uml/modules');
  const version = existsSync(modulesRoot) ? readdirSync(modulesRoot).find((d) => /^\d/.test(d)) : undefined;
  const assets = {
    kernel: join(uml, 'usr/bin/linux.uml'),
    moduleDir: join(modulesRoot, version ?? 'missing'),
    version: version ?? 'missing',
    busybox: join(busybox, 'bin/busybox'),
  };
  for (const path of [assets.kernel, assets.moduleDir, assets.busybox]) {
    if (!existsSync(path)) {
      throw new TestkitError('TESTKIT_KERNEL_ASSETS', `${path} is missing; remove ${CACHE_DIR} and run again`);
    }
  }
  return assets;
}
