// What the import benchmark runs in its own process (the importers are not on the package's
// public entry), bundled by import-bench.ts with esbuild: the chain the API's preview runs.

export { previewImport, runImport, uploadSource } from '../src/import/index.js';
export { defaultConfig } from '../src/model/schema.js';
