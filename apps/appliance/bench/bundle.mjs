// What the benchmarks that run code not on the package's entry share: bundling it with esbuild.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { here } from './uml-run.mjs';

/** Bundles `entry` (a file in bench/) into a fresh folder; resolves with the bundle's path. */
export async function bundle(entry, name) {
  // Inside the package's node_modules, so that the bundle's bare imports resolve as the package's do.
  const cache = here('../node_modules/.cache/');
  mkdirSync(cache, { recursive: true });
  const outfile = join(mkdtempSync(join(cache, `sluice-${name}-bench-`)), `${name}.mjs`);
  await build({
    entryPoints: [here(entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}
