import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImportFormat, ImportResult, ImportSource } from '../../src/import/contract.js';

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
