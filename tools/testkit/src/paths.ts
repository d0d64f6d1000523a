import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findUp(start: string, accept: (dir: string) => boolean): string | undefined {
  let dir = start;
  for (;;) {
    if (accept(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

const here = dirname(fileURLToPath(import.meta.url));

/** The testkit's own directory, wherever the bundler put the code that asks. */
export const TESTKIT_ROOT =
  findUp(here, (dir) => {
    const manifest = join(dir, 'package.json');
    return existsSync(manifest) && readFileSync(manifest, 'utf8').includes('"@sluice/testkit"');
  }) ?? here;

/** The monorepo's root (the directory holding turbo.json). */
export const REPO_ROOT = findUp(TESTKIT_ROOT, (dir) => existsSync(join(dir, 'turbo.json'))) ?? TESTKIT_ROOT;

export const SERVERS_DIR = join(TESTKIT_ROOT, 'servers');
export const UML_DIR = join(TESTKIT_ROOT, 'uml');
/**
 * The UML kernels, what they are made from and the record of which one boots here. Kept
 * for the whole machine, not the checkout: CI clones afresh for every run, and a kernel
 * built on an AMX host (minutes) must serve every later run and checkout on that machine.
 */
export const CACHE_DIR =
  process.env.SLUICE_TESTKIT_CACHE ??
  (process.getuid?.() === 0 ? '/var/cache/sluice-testkit' : join(homedir(), '.cache', 'sluice-testkit'));
export const RESULTS_DIR = join(REPO_ROOT, '.cache', 'test-results');
