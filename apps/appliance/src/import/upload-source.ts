/**
 * The files of an import as they reach the API: a map of relative names to contents (an
 * upload of keepalived.conf with its `conf.d/*.conf`), read as the format reads a disk.
 * A name resolves against the including file's directory within the map only: a path that
 * is not among the files uploaded, or that climbs out of them, names nothing, so an import
 * never reads the appliance's own files.
 */
import { posix } from 'node:path';
import type { ImportSource } from './contract.js';
import { importInvalid } from './source-text.js';

/** A glob's `*` and `?` within one path segment; every other character stands for itself. */
function globMatcher(pattern: string): (name: string) => boolean {
  let source = '';
  for (const ch of pattern) {
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else source += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  // Segments are short and the classes exclude "/": no backtracking blow-up on a name.
  const regex = new RegExp(`^${source}$`);
  return (name) => regex.test(name);
}

/**
 * `name` as a key of the upload: normalised; a relative one never above the upload's root.
 * An absolute name (the CLI uploads the files under the paths it read them from) is a key
 * like any other: it names an uploaded file or nothing.
 */
function keyOf(name: string): string | undefined {
  const normal = posix.normalize(name);
  if (normal === '..' || normal.startsWith('../') || normal === '.') return undefined;
  return normal;
}

export function uploadSource(file: string, files: Readonly<Record<string, string>>): ImportSource {
  const contents = new Map<string, string>();
  for (const [name, text] of Object.entries(files)) {
    const key = keyOf(name);
    if (key !== undefined) contents.set(key, text);
  }
  const named = keyOf(file) ?? file;
  return {
    file: named,
    async read(path) {
      const key = keyOf(path);
      const text = key === undefined ? undefined : contents.get(key);
      if (text === undefined) {
        throw importInvalid(path, 1, `${path} is not among the files given (${[...contents.keys()].join(', ')})`);
      }
      return text;
    },
    async glob(pattern) {
      const key = keyOf(pattern);
      if (key === undefined) return [];
      const matches = globMatcher(key);
      return [...contents.keys()].filter(matches).sort();
    },
  };
}
