// importFiles (what the CLI uploads) reads the same files as the import itself, for every
// format and every configuration of the corpus that imports: a file the importer reads
// and importFiles misses would be absent from the upload, and the daemon's import would fail.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMPORT_FORMATS, importFiles, runImport } from '../../src/import/index.js';
import { corpusSource } from './sources.js';

const corpus = join(import.meta.dirname, 'corpus');

describe('importFiles', () => {
  for (const format of IMPORT_FORMATS) {
    const root = join(corpus, format);
    const names = readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.endsWith('.json') && !e.name.startsWith('broken'))
      .map((e) => e.name);
    it(`${format}: the files the import reads (${names.length} configurations)`, async () => {
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        const { files } = await runImport(format, corpusSource(root, name));
        expect(await importFiles(format, corpusSource(root, name)), name).toEqual(files);
      }
    });
  }

  it('keepalived: the includes, read through the source, the named file first', async () => {
    const files = await importFiles('keepalived', corpusSource(join(corpus, 'keepalived'), 'include.conf'));
    expect(files).toEqual(['include.conf', 'conf.d/a-web.conf', 'conf.d/b-dns.conf', 'extra/vrrp.conf']);
  });
});
