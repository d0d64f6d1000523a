import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { ApplianceError } from '../../src/errors.js';
import type { Importer, ImportFormat, ImportResult, ImportSource } from '../../src/import/contract.js';
import { validateConfig } from '../../src/model/validate.js';

/** The corpus of one format: test/import/corpus/<format>/. */
export const corpusDir = (format: ImportFormat) => join(dirname(fileURLToPath(import.meta.url)), 'corpus', format);

/** The corpus files (not the goldens), sorted. */
export function corpusFiles(format: ImportFormat, prefix = ''): string[] {
  return readdirSync(corpusDir(format))
    .filter((f) => f.startsWith(prefix) && !f.endsWith('.golden.json'))
    .sort();
}

/** A source over the corpus folder: the file named as the user would name it, reads confined to the folder. */
export function corpusSource(format: ImportFormat, file: string): ImportSource & { reads: string[] } {
  const root = corpusDir(format);
  const reads: string[] = [];
  return {
    file,
    reads,
    async read(path: string) {
      reads.push(path);
      const full = resolve(root, path);
      if (!full.startsWith(`${root}/`)) throw new Error(`outside the corpus: ${path}`);
      return readFileSync(full, 'utf8');
    },
  };
}

/** A source over text held in memory. */
export function textSource(file: string, text: string): ImportSource {
  return {
    file,
    async read(path: string) {
      if (path !== file) throw new Error(`no such file: ${path}`);
      return text;
    },
  };
}

/** What a golden file holds: the result without `format` and `files`, which the test checks itself. */
export const goldenOf = (result: ImportResult) => ({
  config: result.config,
  notes: result.notes,
  mapped: result.mapped,
});

export const readGolden = (format: ImportFormat, file: string): unknown =>
  JSON.parse(readFileSync(join(corpusDir(format), `${file}.golden.json`), 'utf8'));

/** The IMPORT_INVALID error `run` rejects with (fails on anything else). */
export async function importRefusal(run: Promise<unknown>): Promise<ApplianceError> {
  try {
    await run;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplianceError);
    expect((error as ApplianceError).code).toBe('IMPORT_INVALID');
    return error as ApplianceError;
  }
  throw new Error('expected IMPORT_INVALID');
}

/** For every corpus file but the broken ones: its golden result, exactly, and a configuration that validates. */
export function itMatchesGoldens(format: ImportFormat, importer: Importer): void {
  it.each(corpusFiles(format).filter((f) => !f.startsWith('broken')))(
    '%s: the configuration and the exact notes of its golden file, and it validates',
    async (file) => {
      const source = corpusSource(format, file);
      const result = await importer(source);
      expect(result.format).toBe(format);
      expect(result.files).toEqual([file]);
      expect(source.reads).toEqual([file]);
      expect(goldenOf(result)).toEqual(readGolden(format, file));
      expect(validateConfig({ ...result.config }).errors).toEqual([]);
    },
  );
}

/** Each broken corpus file: IMPORT_INVALID at its line, its message naming `file:line` first. */
export function itRefusesBroken(format: ImportFormat, importer: Importer, cases: [string, number, RegExp][]): void {
  it.each(cases)('%s: IMPORT_INVALID at its line, no result', async (file, line, message) => {
    const error = await importRefusal(importer(corpusSource(format, file)));
    expect(error.field).toBe(`${file}:${line}`);
    expect(error.message.startsWith(`${file}:${line}: `)).toBe(true);
    expect(error.message).toMatch(message);
  });
}
