/**
 * The importers' corpus: each configuration beside its expected result (`NAME.expected.json`:
 * the configuration made, the notes, the files read). `IMPORT_GOLDEN=write` rewrites the
 * expected files from what the importer makes now, to be reviewed in the diff.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { expect } from 'vitest';
import type { ImportResult } from '../../src/import/contract.js';

export const WRITE_GOLDEN = process.env.IMPORT_GOLDEN === 'write';

/** The corpus's entry files in `dir` (the included ones live in sub-folders). */
export async function corpusEntries(dir: string, ext: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith(ext)).sort();
}

/** The result against its expected file (or the file rewritten, with IMPORT_GOLDEN=write). */
export async function expectGolden(path: string, result: ImportResult): Promise<void> {
  const actual = { config: result.config, notes: result.notes, files: result.files };
  if (WRITE_GOLDEN || !existsSync(path)) {
    await writeFile(path, `${JSON.stringify(actual, null, 2)}\n`);
    if (!WRITE_GOLDEN) throw new Error(`${path} was missing: written, review it and run again`);
    return;
  }
  expect(actual).toEqual(JSON.parse(await readFile(path, 'utf8')));
}
