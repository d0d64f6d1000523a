// Builds the web UI into dist/ui: src/ui/static/* copied, src/ui/main.ts bundled for the
// browser with esbuild (tsup's own bundler). Run by `npm run build`; the UI tests call
// buildUi() into a temporary directory so they always test the current sources.
import { cp, mkdir, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/**
 * The page imports the UI and the platform-neutral model (src/model/), which the API
 * validates with too (same messages, same fields). Nothing of Node may come in: no
 * built-in module and no @sluice package (they speak netlink, run processes, open sockets).
 * Where that happens the build fails, naming the importer, instead of shipping a fake.
 */
export const browserOnly = {
  name: 'browser-only',
  setup(b) {
    b.onResolve({ filter: /^(node:|@sluice\/|[a-z_]+(\/|$))/ }, (args) =>
      args.path.startsWith('node:') || args.path.startsWith('@sluice/') || builtins.has(args.path)
        ? {
            errors: [
              {
                text: `the web UI imports ${args.path} (from ${relative(fileURLToPath(root), args.importer)}): only the model may be shared`,
              },
            ],
          }
        : undefined,
    );
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
    plugins: [browserOnly],
  });
  return Object.fromEntries(Object.entries(result.metafile.outputs).map(([file, out]) => [file, out.bytes]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = await buildUi();
  for (const [file, bytes] of Object.entries(sizes)) console.log(`${file} ${bytes} bytes`);
}
