// The rig's own UML kernel, for hosts where Debian's stock one does not boot: the same
// version, built from Debian 12's `linux-source-<major.minor>` with `uml/fp-size.patch`
// and Debian's UML configuration changed by `uml/kernel.config`. Built once per machine
// and kept in the cache under a key of everything that goes into it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { TestkitError } from '../errors.js';
import { CACHE_DIR, UML_DIR } from '../paths.js';
import type { KernelAssets } from './assets.js';
import { aptGet, archiveVersions, missingPackages, unpackedPackage } from './debian.js';

/** What the build needs on the host; installed with apt-get only when a build happens. */
export const BUILD_PACKAGES = ['gcc', 'make', 'flex', 'bison', 'bc', 'libc6-dev', 'libelf-dev', 'xz-utils', 'patch'];

/** Bumped when the recipe below changes in a way that makes older builds wrong. */
const RECIPE = 1;

const PATCH = join(UML_DIR, 'fp-size.patch');
const FRAGMENT = join(UML_DIR, 'kernel.config');

export interface PatchedBuild {
  /** `<version>-<first 12 hex digits of the key>`, the kernel's directory in the cache. */
  name: string;
  key: string;
  dir: string;
  /** Debian's configuration of the stock kernel, which `kernel.config` changes. */
  baseConfig: Buffer;
}

/** The lines a configuration fragment asks for (`CONFIG_X=v`, or `# CONFIG_X is not set`). */
export function fragmentLines(fragment: string): string[] {
  return fragment
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^CONFIG_\w+=/.test(line) || /^# CONFIG_\w+ is not set$/.test(line));
}

/** The fragment's lines that a finished `.config` does not hold: Kconfig dropped them. */
export function unmetLines(fragment: string, config: string): string[] {
  const have = new Set(config.split('\n').map((line) => line.trim()));
  return fragmentLines(fragment).filter((line) => {
    if (have.has(line)) return false;
    // "is not set" is also met by the option being absent altogether (its menu is off).
    const unset = /^# (CONFIG_\w+) is not set$/.exec(line);
    return !(unset && ![...have].some((l) => l.startsWith(`${unset[1]}=`)));
  });
}

/**
 * Debian's configuration with every module switched off: with CONFIG_MODULES off, Kconfig
 * would build each of its ~900 modules into the kernel (a 15-minute build). What the
 * suites need comes back, built in, from `kernel.config`.
 */
export function withoutModules(config: string): string {
  return config.replace(/^(CONFIG_\w+)=m$/gm, '# $1 is not set');
}

/** Where the patched build of the stock kernel (unpacked at `stockRoot`) lives, and its key. */
export function patchedTarget(stock: KernelAssets, stockRoot: string): PatchedBuild {
  const baseConfig = gunzipSync(readFileSync(join(stockRoot, 'usr/share/doc/user-mode-linux/config.gz')));
  const hash = createHash('sha256');
  for (const part of [`recipe ${RECIPE}`, stock.version, baseConfig, readFileSync(PATCH), readFileSync(FRAGMENT)]) {
    hash.update(part).update('\0');
  }
  const key = hash.digest('hex');
  const name = `${stock.version}-${key.slice(0, 12)}`;
  return { name, key, dir: join(CACHE_DIR, 'kernels', name), baseConfig };
}

/** Runs a build step with its output appended to the build's log; fails with the log's tail (exported for tests). */
export function step(
  log: string,
  file: string,
  args: readonly string[],
  cwd: string,
  timeoutMs = 600_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(log, 'a');
    writeFileSync(fd, `\n$ ${[file, ...args].join(' ')}\n`);
    // Its own process group, so a timeout stops make's compilers too, not make alone.
    const child = spawn(file, args, {
      cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ARCH: 'um', LC_ALL: 'C' },
    });
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    let finished = false;
    const done = (error?: Error) => {
      if (finished) return; // a spawn failure reports 'error' and then 'close'
      finished = true;
      clearTimeout(timer);
      closeSync(fd);
      if (error) reject(error);
      else resolve();
    };
    child.once('error', (error: NodeJS.ErrnoException) =>
      done(
        error.code === 'ENOENT'
          ? new TestkitError('TESTKIT_MISSING_BINARY', `${file} is not installed (the kernel build needs it)`, {
              cause: error,
            })
          : error,
      ),
    );
    child.once('close', (code, signal) => {
      if (code === 0) return done();
      const tail = readFileSync(log, 'utf8').split('\n').slice(-30).join('\n');
      done(
        new TestkitError(
          signal === 'SIGKILL' ? 'TESTKIT_TIMEOUT' : 'TESTKIT_KERNEL_BUILD',
          `${file} ${args.join(' ')} failed (${signal ?? `exit ${code}`}); the last lines of ${log}:\n${tail}`,
        ),
      );
    });
  });
}

/** The Debian source package of the stock kernel's exact upstream version, e.g. 6.1.176-1. */
async function sourceSpec(version: string): Promise<string> {
  const pkg = `linux-source-${version.split('.').slice(0, 2).join('.')}`;
  const match = (await archiveVersions(pkg)).find((v) => v.startsWith(`${version}-`));
  if (!match) {
    throw new TestkitError(
      'TESTKIT_KERNEL_ASSETS',
      `the archive has no ${pkg} of version ${version}-*, the source of the stock UML kernel (apt-cache madison ${pkg})`,
    );
  }
  return `${pkg}=${match}`;
}

async function build(stock: KernelAssets, target: PatchedBuild, log: (line: string) => void) {
  const missing = await missingPackages(BUILD_PACKAGES);
  if (missing.length > 0) {
    log(`testkit: installing the kernel build's packages: ${missing.join(' ')}`);
    await aptGet(['install', '-y', '--no-install-recommends', ...missing]);
  }
  const kernels = join(CACHE_DIR, 'kernels');
  mkdirSync(kernels, { recursive: true });
  const work = await mkdtemp(join(kernels, `.build-${target.name}-`));
  const buildLog = join(kernels, `${target.name}.log`);
  writeFileSync(buildLog, '');
  const started = performance.now();
  try {
    const spec = await sourceSpec(stock.version);
    log(`testkit: building the patched UML kernel from ${spec} (log: ${buildLog})`);
    const source = await unpackedPackage(work, 'source-deb', spec);
    const srcDir = join(source.root, 'usr', 'src');
    const tarball = readdirSync(srcDir).find((f) => f.endsWith('.tar.xz'));
    if (!tarball) throw new TestkitError('TESTKIT_KERNEL_ASSETS', `${spec} holds no source tarball in /usr/src`);
    await step(buildLog, 'tar', ['-xJf', join(srcDir, tarball), '-C', work], work);
    rmSync(source.root, { recursive: true, force: true });
    const tree = join(work, tarball.replace(/\.tar\.xz$/, ''));
    await step(buildLog, 'patch', ['-p1', '--forward', '-i', PATCH], tree);
    writeFileSync(join(tree, '.config'), withoutModules(target.baseConfig.toString('utf8')));
    await step(buildLog, 'scripts/kconfig/merge_config.sh', ['-m', '.config', FRAGMENT], tree);
    await step(buildLog, 'make', ['olddefconfig'], tree);
    const unmet = unmetLines(readFileSync(FRAGMENT, 'utf8'), readFileSync(join(tree, '.config'), 'utf8'));
    if (unmet.length > 0) {
      throw new TestkitError(
        'TESTKIT_KERNEL_BUILD',
        `Kconfig did not keep these lines of ${FRAGMENT} (a dependency is missing from it): ${unmet.join(', ')}`,
      );
    }
    await step(buildLog, 'make', [`-j${availableParallelism()}`, 'linux'], tree, 90 * 60_000);
    const out = join(work, 'out');
    mkdirSync(out);
    copyFileSync(join(tree, 'linux'), join(out, 'linux'));
    copyFileSync(join(tree, '.config'), join(out, 'config'));
    const seconds = (performance.now() - started) / 1000;
    writeFileSync(join(out, 'build.json'), `${JSON.stringify({ source: spec, key: target.key, seconds }, null, 2)}\n`);
    renameSync(out, target.dir);
    log(`testkit: built the patched UML kernel in ${Math.round(seconds)} s: ${target.dir}/linux`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The pid in a lock directory is alive (a lock without one yet counts as held for a minute). */
function holderAlive(lock: string): boolean {
  try {
    process.kill(Number(readFileSync(join(lock, 'pid'), 'utf8')), 0);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return existsSync(lock) && Date.now() - statSync(lock).mtimeMs < 60_000;
    return code === 'EPERM';
  }
}

/** Runs `body` unless `done()`, one process at a time per lock; a dead holder's lock is taken over. */
export async function exclusively(lock: string, done: () => boolean, body: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 120 * 60_000;
  while (!done()) {
    if (Date.now() > deadline) throw new TestkitError('TESTKIT_TIMEOUT', `waited two hours for ${lock}`);
    try {
      mkdirSync(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (holderAlive(lock)) await sleep(2000);
      else rmSync(lock, { recursive: true, force: true });
      continue;
    }
    try {
      writeFileSync(join(lock, 'pid'), String(process.pid));
      if (!done()) await body();
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/**
 * The patched kernel: from the cache, or built now (minutes; the build's packages are
 * installed with apt-get first). Says how long a build took when one ran.
 */
export async function patchedKernel(
  stock: KernelAssets,
  target: PatchedBuild,
  log: (line: string) => void,
): Promise<{ assets: KernelAssets; buildSeconds?: number }> {
  const binary = join(target.dir, 'linux');
  let buildSeconds: number | undefined;
  if (!existsSync(binary)) {
    mkdirSync(dirname(target.dir), { recursive: true });
    await exclusively(
      `${target.dir}.lock`,
      () => existsSync(binary),
      () => build(stock, target, log),
    );
    buildSeconds = (JSON.parse(readFileSync(join(target.dir, 'build.json'), 'utf8')) as { seconds: number }).seconds;
  }
  const { moduleDir: _builtIn, ...rest } = stock;
  return {
    assets: { ...rest, kind: 'patched', kernel: binary, key: target.key },
    ...(buildSeconds ? { buildSeconds } : {}),
  };
}
