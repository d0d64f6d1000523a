import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A guide under the repository's docs/, with its marked blocks. */
export interface Guide {
  text: string;
  /** The fenced block right after `<!-- guide:NAME -->` (the guides mark what their tests check). */
  marked(name: string): string;
}

export async function readGuide(file: string): Promise<Guide> {
  const text = await readFile(join(import.meta.dirname, '..', '..', '..', '..', 'docs', file), 'utf8');
  return {
    text,
    marked(name) {
      const at = text.indexOf(`<!-- guide:${name} -->`);
      if (at === -1) throw new Error(`${file} has no <!-- guide:${name} --> marker`);
      const block = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(at));
      if (!block) throw new Error(`${file}: no fenced block after <!-- guide:${name} -->`);
      return block[1] as string;
    },
  };
}
