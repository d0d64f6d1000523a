/**
 * A user's project with the packages installed from their real tarballs (`npm pack`: what
 * the registry would serve, with the bundled @sluice/linux code and only the files the
 * package ships), in a temporary directory, `"type": "module"`.
 *
 * Registry dependencies (koffi, netlink, undici...) are links to the monorepo's installed
 * copies rather than an `npm install`: the npm cache is not there in every checkout (in a
 * worktree made without `npm ci`, `npm install --offline` fails with ENOTCACHED), links take
 * milliseconds, and the versions are the ones the lockfile pins, which an install would
 * resolve to anyway. Only the dependencies a tarball declares
 * are linked, so a package that imports one it does not declare fails here as it would for
 * a user. Node and tsc follow the links to the monorepo, where each dependency finds its own.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { TestkitError } from '../errors.js';
import { run } from '../exec.js';

export interface ScratchProject {
  dir: string;
  /** Name → version of each package installed from its tarball. */
  packages: Record<string, string>;
  remove(): void;
}

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  bin?: Record<string, string> | string;
}

/** Packs `packageDirs`, installs the tarballs into a new project, links their dependencies and `devTypes` from `repo`. */
export async function makeScratchProject(
  packageDirs: readonly string[],
  repo: string,
  devTypes: readonly string[] = ['@types/node'],
): Promise<ScratchProject> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-readme-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const tarballs = join(dir, '.tarballs');
    mkdirSync(tarballs);
    const files = await Promise.all(
      packageDirs.map(async (packageDir) => {
        const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs], {
          cwd: packageDir,
          timeoutMs: 120_000,
        });
        const [packed] = JSON.parse(stdout) as { name: string; filename: string }[];
        if (!packed) throw new TestkitError('TESTKIT_EXEC_FAILED', `npm pack in ${packageDir} reported no tarball`);
        return { name: packed.name, file: join(tarballs, packed.filename) };
      }),
    );
    const modules = join(dir, 'node_modules');
    const packages: Record<string, string> = {};
    const wanted = new Set<string>(devTypes);
    for (const { name, file } of files) {
      const target = join(modules, name);
      mkdirSync(target, { recursive: true });
      await run('tar', ['-xzf', file, '-C', target, '--strip-components=1']);
      const manifest = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')) as Manifest;
      packages[name] = manifest.version;
      for (const dep of Object.keys(manifest.dependencies ?? {})) wanted.add(dep);
      linkBins(modules, name, manifest);
    }
    for (const dep of wanted) {
      if (packages[dep] !== undefined) continue;
      const source = join(repo, 'node_modules', dep);
      if (!existsSync(join(source, 'package.json'))) {
        throw new TestkitError(
          'TESTKIT_MISSING_PACKAGE',
          `${dep} is a dependency of a packed package but is not installed in ${repo}/node_modules (run npm ci)`,
        );
      }
      const link = join(modules, dep);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(source, link, 'dir');
    }
    writeFileSync(
      join(dir, 'package.json'),
      `${JSON.stringify({ name: 'readme-examples', private: true, type: 'module', dependencies: packages }, null, 2)}\n`,
    );
    return { dir, packages, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

function linkBins(modules: string, name: string, manifest: Manifest): void {
  const bins =
    typeof manifest.bin === 'string' ? { [name.split('/').pop() ?? name]: manifest.bin } : (manifest.bin ?? {});
  const binDir = join(modules, '.bin');
  for (const [command, path] of Object.entries(bins)) {
    mkdirSync(binDir, { recursive: true });
    symlinkSync(relative(binDir, join(modules, name, path)), join(binDir, command));
  }
}
