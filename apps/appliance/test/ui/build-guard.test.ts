import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { browserOnly } from '../../scripts/build-ui.mjs';

/** Bundles `contents` as a page module would be, with the UI build's guard. */
const bundle = (contents: string) =>
  build({
    stdin: { contents, resolveDir: fileURLToPath(new URL('../../src/ui/', import.meta.url)), sourcefile: 'probe.ts' },
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    logLevel: 'silent',
    plugins: [browserOnly],
  });

describe('the web UI build', () => {
  it.each([
    "import { isIPv4 } from 'node:net'; console.log(isIPv4);",
    "import { readFile } from 'fs/promises'; console.log(readFile);",
    "import { SCHEDULERS } from '@sluice/ipvs'; console.log(SCHEDULERS);",
  ])('fails on anything of Node: %s', async (contents) => {
    await expect(bundle(contents)).rejects.toThrow(
      /the web UI imports (node:net|fs\/promises|@sluice\/ipvs) \(from src\/ui\/probe\.ts\)/,
    );
  });

  it('takes the model and its libraries', async () => {
    const result = await bundle("import { validateConfig } from '../model/validate.js'; console.log(validateConfig);");
    expect(result.outputFiles[0]?.text).toContain('must be an IPv4 or IPv6 address');
  });
});
