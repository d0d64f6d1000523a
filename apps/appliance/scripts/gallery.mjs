// Copies the screenshots the README shows from the browser tests' build folder into the
// tracked docs/screenshots, after a deliberate look: the tests themselves never write to a
// tracked file. Refuses when a linked screenshot was not written by the last run, so the
// gallery cannot mix old and new pictures silently.
import { copyFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const built = join(root, 'build', 'screenshots');
const gallery = join(root, 'docs', 'screenshots');

/** The screenshot file names the README links, each once, in the order they appear. */
export async function linkedScreenshots() {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  return [...new Set([...readme.matchAll(/docs\/screenshots\/([\w.-]+\.png)/g)].map((match) => match[1]))];
}

if (import.meta.main) {
  const names = await linkedScreenshots();
  const missing = [];
  for (const name of names) {
    if (!(await stat(join(built, name)).catch(() => undefined))) missing.push(name);
  }
  if (missing.length > 0) {
    console.error(`not in build/screenshots (run the browser tests first): ${missing.join(', ')}`);
    process.exit(1);
  }
  for (const name of names) await copyFile(join(built, name), join(gallery, name));
  console.log(`copied ${names.length} screenshots into docs/screenshots`);
}
