// Builds the web UI into dist/ui: src/ui/static/* copied, src/ui/main.ts bundled for the
// browser with esbuild (tsup's own bundler). Run by `npm run build`; the UI tests call
// buildUi() into a temporary directory so they always test the current sources.
import { cp, mkdir, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { SCHEDULERS } from '@sluice/ipvs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/**
 * The forms validate with the configuration module the API uses (same messages, same
 * fields). It needs two things from Node: isIPv4 (given a browser version here) and the
 * scheduler list of @sluice/ipvs, inlined as data so the netlink client stays out of the page.
 */
const browserShims = {
  name: 'browser-shims',
  setup(b) {
    b.onResolve({ filter: /^(node:)?net$|^@sluice\/ipvs$/ }, (args) => ({ path: args.path, namespace: 'shim' }));
    b.onResolve({ filter: /.*/ }, (args) =>
      builtins.has(args.path) ? { path: args.path, namespace: 'empty' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'shim' }, (args) => ({
      loader: 'js',
      contents: args.path.endsWith('ipvs')
        ? `export const SCHEDULERS = ${JSON.stringify(SCHEDULERS)};`
        : 'const v4 = /^(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}$/;\n' +
          'export const isIPv4 = (s) => v4.test(s);\nexport const isIPv6 = (s) => !v4.test(s) && s.includes(":");\n' +
          'export const isIP = (s) => (isIPv4(s) ? 4 : isIPv6(s) ? 6 : 0);',
    }));
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ loader: 'js', contents: 'module.exports = {};' }));
  },
};

export async function buildUi(outDir = fileURLToPath(new URL('dist/ui/', root))) {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await cp(fileURLToPath(new URL('src/ui/static/', root)), outDir, { recursive: true });
  const result = await build({
    entryPoints: [fileURLToPath(new URL('src/ui/main.ts', root))],
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    chunkNames: 'chunk-[hash]',
    metafile: true,
    logLevel: 'warning',
    plugins: [browserShims],
  });
  return Object.fromEntries(Object.entries(result.metafile.outputs).map(([file, out]) => [file, out.bytes]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = await buildUi();
  for (const [file, bytes] of Object.entries(sizes)) console.log(`${file} ${bytes} bytes`);
}
