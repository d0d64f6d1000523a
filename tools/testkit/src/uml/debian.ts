import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { TestkitError } from '../errors.js';
import { run } from '../exec.js';
import { isRoot } from '../platform.js';

export const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

/** Runs an apt-get command, refreshing the package lists once (root only) if it fails. */
export async function aptGet(args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}) {
  const attempt = () =>
    run('apt-get', args, {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: APT_ENV,
      timeoutMs: options.timeoutMs ?? 900_000,
    });
  try {
    return await attempt();
  } catch (error) {
    // A fresh machine may have empty or stale package lists.
    if (!isRoot()) {
      throw new TestkitError(
        'TESTKIT_KERNEL_ASSETS',
        `apt-get ${args.join(' ')} failed, and refreshing the package lists needs root`,
        {
          cause: error,
        },
      );
    }
    await run('apt-get', ['update'], { env: APT_ENV, timeoutMs: 300_000 });
    return attempt();
  }
}

/** An unpacked Debian package: its root directory and the .deb it came from. */
export interface UnpackedPackage {
  root: string;
  deb: string;
}

/**
 * Downloads one Debian package (`name` or `name=version`) with `apt-get download` and
 * unpacks it (not installed) into `<cacheDir>/<dirName>`, unless it is there already.
 */
export async function unpackedPackage(cacheDir: string, dirName: string, spec: string): Promise<UnpackedPackage> {
  const target = join(cacheDir, dirName);
  const complete = join(target, '.complete');
  if (existsSync(complete)) return { root: target, deb: readFileSync(complete, 'utf8').trim() };
  mkdirSync(cacheDir, { recursive: true });
  const work = await mkdtemp(join(cacheDir, `.${dirName}-`));
  try {
    await aptGet(['download', spec], { cwd: work, timeoutMs: 600_000 });
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!deb) throw new TestkitError('TESTKIT_KERNEL_ASSETS', `apt-get download ${spec} produced no .deb`);
    const root = join(work, 'root');
    await run('dpkg-deb', ['-x', join(work, deb), root], { timeoutMs: 300_000 });
    writeFileSync(join(root, '.complete'), `${deb}\n`);
    try {
      // Atomic: a parallel process may have finished first, then its copy stands.
      renameSync(root, target);
    } catch (error) {
      if (!existsSync(complete)) throw error;
    }
    return { root: target, deb };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The versions of a package the archive offers (`apt-cache madison`), newest first. */
export async function archiveVersions(pkg: string): Promise<string[]> {
  const list = async () => (await run('apt-cache', ['madison', pkg], { timeoutMs: 60_000 })).stdout;
  let text = await list().catch(() => '');
  if (!text.trim() && isRoot()) {
    await run('apt-get', ['update'], { env: APT_ENV, timeoutMs: 300_000 });
    text = await list();
  }
  return text
    .split('\n')
    .map((line) => line.split('|')[1]?.trim())
    .filter((v): v is string => Boolean(v));
}

async function installed(pkg: string): Promise<boolean> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  const status = await run('dpkg-query', ['-W', '-f=${Status}', pkg]).catch(() => undefined);
  return status?.stdout.trim() === 'install ok installed';
}

/** The packages of `names` that dpkg does not have installed. */
export async function missingPackages(names: readonly string[]): Promise<string[]> {
  const have = await Promise.all(names.map(installed));
  return names.filter((_, i) => !have[i]);
}
