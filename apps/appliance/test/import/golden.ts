/**
 * The importers' corpus: each configuration beside its expected result (`NAME.expected.json`:
 * the configuration made, the notes, the files read). `IMPORT_GOLDEN=write` rewrites the
 * expected files from what the importer makes now, to be reviewed in the diff (then
 * `npx biome check --write test/import` formats them as the repository does).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { ApplianceError } from '../../src/errors.js';
import type { Importer, ImportFormat, ImportResult, ImportSource } from '../../src/import/contract.js';
import { validateConfig } from '../../src/model/validate.js';
import { corpusSource } from './sources.js';

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

/**
 * The corpus tests of one importer: the entry files are the ones expected, each gives its
 * expected configuration and notes, and each result validates as a configuration.
 */
export async function corpusSuite(
  format: ImportFormat,
  importer: Importer,
  dir: string,
  ext: string,
  expected: string[],
): Promise<void> {
  const entries = await corpusEntries(dir, ext);
  describe(`${dir.split('/').pop()} corpus`, () => {
    test('holds the files this test expects', () => {
      expect(entries).toEqual(expected);
    });

    test.each(entries)('%s: the configuration and the notes expected', async (name) => {
      const result = await importer(corpusSource(dir, name));
      expect(result.format).toBe(format);
      expect(result.mapped).toBeGreaterThan(0);
      await expectGolden(`${dir}/${name.slice(0, -ext.length)}.expected.json`, result);
    });

    test.each(entries)('%s: the result validates', async (name) => {
      const result = await importer(corpusSource(dir, name));
      const checked = validateConfig({ ...result.config });
      expect(checked.errors).toEqual([]);
      expect(checked.ok).toBe(true);
    });
  });
}

/** The IMPORT_INVALID error an import throws (the test fails if it imports). */
export async function refusal(importer: Importer, source: ImportSource): Promise<ApplianceError> {
  const error = await importer(source).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplianceError);
  expect((error as ApplianceError).code).toBe('IMPORT_INVALID');
  return error as ApplianceError;
}
