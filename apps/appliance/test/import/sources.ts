/** ImportSources for the importer tests: the corpus folder on disk, or files held in memory. */
import { readdir, readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ImportSource } from '../../src/import/contract.js';

/**
 * The corpus as the CLI would read it: paths are the corpus-relative names, so that the
 * golden notes name `conf.d/web.conf` whatever the checkout's place. Globs: `*` in the
 * last segment only, which is all the corpus uses.
 */
export function corpusSource(root: string, file: string): ImportSource {
  return {
    file,
    read: (path) => readFile(posix.join(root, path), 'utf8'),
    async glob(pattern) {
      const dir = posix.dirname(pattern);
      const [before = '', after = ''] = posix.basename(pattern).split('*');
      const names = await readdir(posix.join(root, dir)).catch(() => [] as string[]);
      return names
        .filter((n) => n.startsWith(before) && n.endsWith(after) && n.length >= before.length + after.length)
        .sort()
        .map((n) => posix.join(dir, n));
    },
  };
}

/** Files held in memory (broken and hostile input); a missing one is an ENOENT like the disk's. */
export function memorySource(files: Record<string, string>, file = 'main.conf'): ImportSource {
  return {
    file,
    async read(path) {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
  };
}
