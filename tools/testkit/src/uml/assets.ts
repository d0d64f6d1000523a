import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TestkitError } from '../errors.js';
import { CACHE_DIR } from '../paths.js';
import type { KernelKind } from './choice.js';
import { unpackedPackage } from './debian.js';

export interface KernelAssets {
  kind: KernelKind;
  /** The UML kernel binary (runs as an ordinary process). */
  kernel: string;
  /** Its module tree, `.../modules/<version>`; absent for a kernel with everything built in. */
  moduleDir?: string;
  /** The kernel's version (`uname -r` in the guest, the name of its module directory). */
  version: string;
  /** A static busybox, the guest's init shell. */
  busybox: string;
  /** What the kernel is made of: a new key means a new probe. */
  key: string;
  /** Where the stock package is unpacked (its config.gz is the patched build's base). */
  root?: string;
}

/** Debian 12's packages, fetched (not installed) into the cache: the kernel and the init's shell. */
export async function stockPackages() {
  const debs = join(CACHE_DIR, 'debs');
  const [uml, busybox] = await Promise.all([
    unpackedPackage(debs, 'user-mode-linux', 'user-mode-linux'),
    unpackedPackage(debs, 'busybox-static', 'busybox-static'),
  ]);
  return { uml, busybox: join(busybox.root, 'bin/busybox') };
}

function mustExist(paths: readonly string[], hint: string): void {
  for (const path of paths) {
    if (!existsSync(path)) throw new TestkitError('TESTKIT_KERNEL_ASSETS', `${path} is missing; ${hint}`);
  }
}

/** The module tree beside a Debian-laid-out `.../usr/bin/linux.uml`, if there is one. */
function moduleTreeOf(kernel: string): { moduleDir: string; version: string } | undefined {
  const root = join(dirname(kernel), '..', 'lib', 'uml', 'modules');
  const version = existsSync(root) ? readdirSync(root).find((d) => /^\d/.test(d)) : undefined;
  return version ? { moduleDir: join(root, version), version } : undefined;
}

/** Debian 12's `user-mode-linux` as packaged: 6.1 with IPVS and every scheduler as modules. */
export async function stockKernel(): Promise<KernelAssets & { root: string }> {
  const { uml, busybox } = await stockPackages();
  const kernel = join(uml.root, 'usr/bin/linux.uml');
  const tree = moduleTreeOf(kernel);
  mustExist(
    [kernel, busybox, tree?.moduleDir ?? join(uml.root, 'usr/lib/uml/modules/<version>')],
    `remove ${CACHE_DIR} and run again`,
  );
  return { kind: 'stock', kernel, busybox, key: uml.deb, root: uml.root, ...(tree as NonNullable<typeof tree>) };
}

/**
 * A kernel named by `SLUICE_UML_KERNEL=<path to linux.uml>`; its modules are read from the
 * Debian layout beside it (`../lib/uml/modules/<version>`) when present. The version for a
 * kernel without modules comes from the probe.
 */
export async function customKernel(path: string): Promise<KernelAssets> {
  const { busybox } = await stockPackages();
  const kernel = resolve(path);
  mustExist([kernel], 'SLUICE_UML_KERNEL names a linux.uml that does not exist');
  const tree = moduleTreeOf(kernel);
  const { size, mtimeMs } = statSync(kernel);
  return {
    kind: 'custom',
    kernel,
    busybox,
    key: `${kernel} ${size} ${Math.round(mtimeMs)}`,
    version: tree?.version ?? 'unknown',
    ...(tree ? { moduleDir: tree.moduleDir } : {}),
  };
}
