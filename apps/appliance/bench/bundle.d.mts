// The types of bundle.mjs, for the benchmarks written in TypeScript (bench/import-bench.ts).
/** Bundles `entry` (relative to bench/) into a fresh folder under node_modules/.cache; resolves with the bundle's path. */
export function bundle(entry: string, name: string): Promise<string>;
