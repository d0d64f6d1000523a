/** Build the web UI into `outDir` [dist/ui]; returns each written file's size in bytes. */
export function buildUi(outDir?: string): Promise<Record<string, number>>;
