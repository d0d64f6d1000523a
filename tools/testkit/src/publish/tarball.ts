/**
 * What a package's published tarball holds, read as npm reads it (`npm pack --dry-run
 * --json`: the `files` list, its negations, what npm always adds), and the faults a user
 * would meet: a missing licence, README, entry point or bin; source maps that point at
 * sources not shipped; sources or tests shipped by mistake; metadata the registry page needs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../exec.js';

export interface PackedPackage {
  name: string;
  /** Paths inside the tarball, sorted. */
  files: string[];
  /** Bytes of the compressed tarball. */
  size: number;
}

export async function packedFiles(dir: string): Promise<PackedPackage> {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: dir,
    timeoutMs: 120_000,
  });
  const [packed] = JSON.parse(stdout) as { name: string; size: number; files: { path: string }[] }[];
  if (packed === undefined) throw new Error(`npm pack --dry-run in ${dir} reported no package`);
  return { name: packed.name, size: packed.size, files: packed.files.map((f) => f.path).sort() };
}

interface Manifest {
  name: string;
  license?: string;
  repository?: { type?: string; url?: string; directory?: string };
  homepage?: string;
  bugs?: { url?: string };
  keywords?: string[];
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  publishConfig?: { access?: string; provenance?: boolean };
}

/** What is wrong with a public package's tarball and metadata: one line per fault, none when it is ready. */
export async function packageFaults(dir: string): Promise<string[]> {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
  const { files } = await packedFiles(dir);
  const has = new Set(files);
  const faults: string[] = [];
  for (const required of ['LICENSE', 'README.md', 'package.json']) {
    if (!has.has(required)) faults.push(`${required} is not in the tarball`);
  }
  const targets = Object.values(manifest.exports ?? {}).flatMap((entry) =>
    typeof entry === 'string' ? [entry] : Object.values(entry),
  );
  for (const target of [...targets, ...Object.values(manifest.bin ?? {})]) {
    const path = target.replace(/^\.\//, '');
    if (!has.has(path)) faults.push(`${path} (exports or bin) is not in the tarball`);
  }
  for (const file of files) {
    if (file.endsWith('.map')) faults.push(`${file}: a source map whose sources are not shipped`);
    else if (/^(src|test|bench)\//.test(file) || /\.test\.[cm]?[jt]s$/.test(file))
      faults.push(`${file}: not for users`);
  }
  if (manifest.license !== 'Apache-2.0') faults.push(`license is ${manifest.license ?? 'missing'}, not Apache-2.0`);
  if (!manifest.repository?.url || !manifest.repository.directory)
    faults.push('repository (url and directory) is missing');
  if (!manifest.homepage) faults.push('homepage is missing');
  if (!manifest.bugs?.url) faults.push('bugs.url is missing');
  if (!manifest.keywords?.length) faults.push('keywords are missing');
  if (manifest.publishConfig?.access !== 'public') faults.push('publishConfig.access is not public');
  if (manifest.publishConfig?.provenance !== true) faults.push('publishConfig.provenance is not true');
  return faults;
}
