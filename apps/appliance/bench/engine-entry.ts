// What the engine benchmark needs inside the UML kernel, bundled by engine-run.mjs with esbuild.

export { createEngine } from '../src/engine/index.js';
export { ConfigStore } from '../src/store/config-store.js';
