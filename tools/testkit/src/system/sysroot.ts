// The Debian 12 root the system tests boot: made with mmdebstrap from Debian's archive (the
// mirrors the host's apt already uses), once per machine, and kept in the rig's cache under
// a key of everything that goes into it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { TestkitError } from '../errors.js';
import { run, which } from '../exec.js';
import { CACHE_DIR, TESTKIT_ROOT } from '../paths.js';
import { isRoot } from '../platform.js';
import { exclusively } from '../uml/build.js';
import { APT_ENV } from '../uml/debian.js';

/** Debian 12. */
export const SUITE = 'bookworm';

/** Bumped when the recipe below changes in a way that makes older roots wrong. */
const RECIPE = 1;

export const SYSROOT_PACKAGES_FILE = join(TESTKIT_ROOT, 'sysroot-packages.txt');

export interface Sysroot {
  /** The root directory (booted read-only, under an overlay). */
  root: string;
  /** `<suite>-<first 12 hex digits of the key>`, its directory in the cache. */
  name: string;
  key: string;
  packages: string[];
  /** How long mmdebstrap took, and the root's size, when it was built. */
  buildSeconds: number;
  bytes: number;
  /** It was built by this call (not taken from the cache). */
  built: boolean;
}

export function sysrootPackages(text = readFileSync(SYSROOT_PACKAGES_FILE, 'utf8')): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/** The cache key: the recipe, the suite and the package set (order and comments do not count). */
export function sysrootKey(packages: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of [`recipe ${RECIPE}`, SUITE, ...[...new Set(packages)].sort()]) hash.update(part).update('\0');
  return hash.digest('hex');
}

/**
 * The host's Debian archive entries for `suite` (and its -updates and -security suites) as
 * one-line sources, read from `apt-cache policy`: the root comes from the same mirrors the
 * host's own packages do, and never from a repository that is not Debian's.
 */
export function debianSources(policy: string, suite = SUITE): string[] {
  const lines = policy.split('\n');
  const sources = new Set<string>();
  for (let i = 0; i < lines.length - 1; i++) {
    const entry = /^\s*-?\d+\s+(\S+:\/\/\S+)\s+(\S+)\/(\S+)\s+\S+\s+Packages\s*$/.exec(lines[i] ?? '');
    const release = lines[i + 1] ?? '';
    if (!entry || !/^\s*release\b/.test(release)) continue;
    const fields = new Map(
      release
        .replace(/^\s*release\s+/, '')
        .split(',')
        .map((f) => f.split('=') as [string, string]),
    );
    const [, uri, dist, component] = entry;
    if (fields.get('o') !== 'Debian' || !(dist === suite || dist?.startsWith(`${suite}-`))) continue;
    sources.add(`deb ${uri} ${dist} ${component}`);
  }
  return [...sources].sort();
}

/**
 * The host's Debian archive for `SUITE` as sources.list lines (refreshing apt's lists once
 * if it knows none): what the system tests' root and the appliance's disk image are made from.
 */
export async function hostDebianSources(): Promise<string[]> {
  const policy = async () => (await run('apt-cache', ['policy'], { timeoutMs: 60_000 })).stdout;
  let sources = debianSources(await policy());
  if (!sources.some((s) => s.split(' ')[2] === SUITE)) {
    // A fresh machine may have no package lists yet.
    await run('apt-get', ['update'], { env: APT_ENV, timeoutMs: 300_000 });
    sources = debianSources(await policy());
  }
  if (!sources.some((s) => s.split(' ')[2] === SUITE)) {
    throw new TestkitError(
      'TESTKIT_SYSROOT',
      `the host's apt knows no Debian archive for ${SUITE} (apt-cache policy lists none with o=Debian), so the system tests' root cannot be built`,
    );
  }
  return sources;
}

interface BuildRecord {
  suite: string;
  key: string;
  packages: string[];
  seconds: number;
  bytes: number;
  at: string;
}

async function build(dir: string, key: string, packages: readonly string[], log: (line: string) => void) {
  const parent = join(CACHE_DIR, 'sysroots');
  const work = await mkdtemp(join(parent, '.build-'));
  const buildLog = `${dir}.log`;
  const started = performance.now();
  try {
    const sources = join(work, 'sources.list');
    writeFileSync(sources, `${(await hostDebianSources()).join('\n')}\n`);
    log(`testkit: building the system tests' Debian 12 root with mmdebstrap (log: ${buildLog})`);
    const root = join(work, 'root');
    const args = [
      '--mode=root',
      '--variant=minbase',
      `--include=${packages.join(',')}`,
      // A name of its own, not the host's (mmdebstrap copies the host's /etc/hostname).
      `--customize-hook=echo sluice-test > "$1/etc/hostname"`,
      SUITE,
      root,
      sources,
    ];
    const result = await run('mmdebstrap', args, { timeoutMs: 45 * 60_000, env: APT_ENV }).catch((error: unknown) => {
      writeFileSync(buildLog, error instanceof Error ? error.message : String(error));
      throw new TestkitError(
        'TESTKIT_SYSROOT',
        `mmdebstrap failed; the last lines of ${buildLog}:\n${readFileSync(buildLog, 'utf8').split('\n').slice(-30).join('\n')}`,
        { cause: error },
      );
    });
    writeFileSync(buildLog, `${result.stdout}${result.stderr}`);
    const bytes = Number((await run('du', ['-sb', root], { timeoutMs: 300_000 })).stdout.split('\t')[0]);
    const seconds = (performance.now() - started) / 1000;
    const record: BuildRecord = {
      suite: SUITE,
      key,
      packages: [...packages],
      seconds,
      bytes,
      at: new Date().toISOString(),
    };
    writeFileSync(join(work, 'build.json'), `${JSON.stringify(record, null, 2)}\n`);
    renameSync(work, dir);
    log(`testkit: built the Debian 12 root in ${Math.round(seconds)} s (${Math.round(bytes / 2 ** 20)} MiB): ${dir}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

let pending: Promise<Sysroot> | undefined;

async function make(log: (line: string) => void): Promise<Sysroot> {
  const packages = sysrootPackages();
  const key = sysrootKey(packages);
  const name = `${SUITE}-${key.slice(0, 12)}`;
  const dir = join(CACHE_DIR, 'sysroots', name);
  const record = join(dir, 'build.json');
  let built = false;
  if (!existsSync(record)) {
    if (!isRoot()) throw new TestkitError('TESTKIT_NOT_ROOT', 'building the system tests’ root needs root');
    if (!which('mmdebstrap')) {
      throw new TestkitError(
        'TESTKIT_MISSING_BINARY',
        'the system tests need `mmdebstrap` to build their Debian 12 root (it is in tools/testkit/debian-packages.txt: run `sluice-testkit prepare`)',
      );
    }
    mkdirSync(join(CACHE_DIR, 'sysroots'), { recursive: true });
    await exclusively(
      `${dir}.lock`,
      () => existsSync(record),
      async () => {
        await build(dir, key, packages, log);
        built = true;
      },
    );
  }
  const { seconds, bytes } = JSON.parse(readFileSync(record, 'utf8')) as BuildRecord;
  return { root: join(dir, 'root'), name, key, packages, buildSeconds: seconds, bytes, built };
}

/**
 * The system tests' Debian 12 root: from the cache, or built now with mmdebstrap (about two
 * minutes; root only). Once per process; a failed build is tried again by the next call.
 */
export function ensureSysroot(log: (line: string) => void = (line) => console.error(line)): Promise<Sysroot> {
  pending ??= make(log).catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

/** The one line that says which root the system tests boot, and what it cost. */
export function describeSysroot(sysroot: Sysroot): string {
  const how = sysroot.built ? 'built now' : 'cached';
  return `Debian 12 root ${sysroot.name} (${how}; mmdebstrap ${Math.round(sysroot.buildSeconds)} s, ${Math.round(sysroot.bytes / 2 ** 20)} MiB, ${sysroot.packages.length} packages asked for)`;
}
