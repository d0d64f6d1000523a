import type { Plugin } from 'esbuild';

/** Build the web UI into `outDir` [dist/ui]; returns each written file's size in bytes. */
export function buildUi(outDir?: string): Promise<Record<string, number>>;

/** The esbuild plugin that fails the build on any import of Node's (a built-in module, an @sluice package). */
export const browserOnly: Plugin;
