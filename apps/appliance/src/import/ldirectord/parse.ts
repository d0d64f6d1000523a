/**
 * ldirectord.cf as its sections: `key = value` lines, the global ones unindented, each
 * `virtual=` followed by its own indented lines. Comments start with "#" at the start of a
 * line or after a space. One pass over each line: no regular expression runs over user input.
 */
import type { ImportSource } from '../contract.js';
import { importInvalid, MAX_IMPORT_BYTES, type Origin } from '../lvs-shared.js';

export interface Setting extends Origin {
  key: string;
  /** The value's words: quoted strings are one word (quotes removed), commas separate too. */
  words: string[];
}

export interface Virtual {
  at: Setting;
  settings: Setting[];
  /** The global settings written before it, which it inherits. */
  globals: Setting[];
}

export interface LdirectordFile {
  globals: Setting[];
  virtuals: Virtual[];
}

function valueWords(text: string, at: Origin): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === ' ' || ch === '\t' || ch === ',' || ch === '\r') {
      i++;
    } else if (ch === '#' && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\t')) {
      break;
    } else if (ch === '"') {
      const end = text.indexOf('"', i + 1);
      if (end === -1) throw importInvalid(at, 'a quoted string is not closed on its line');
      out.push(text.slice(i + 1, end));
      i = end + 1;
    } else {
      let j = i;
      while (j < text.length && text[j] !== ' ' && text[j] !== '\t' && text[j] !== ',' && text[j] !== '\r') j++;
      out.push(text.slice(i, j));
      i = j;
    }
  }
  return out;
}

export async function parseLdirectord(source: ImportSource): Promise<LdirectordFile> {
  let text: string;
  const top = { file: source.file, line: 1 };
  try {
    text = await source.read(source.file);
  } catch (cause) {
    throw importInvalid(top, `cannot read ${JSON.stringify(source.file)}`, cause);
  }
  if (Buffer.byteLength(text) > MAX_IMPORT_BYTES)
    throw importInvalid(top, `the file exceeds ${MAX_IMPORT_BYTES} bytes`);
  const parsed: LdirectordFile = { globals: [], virtuals: [] };
  let current: Virtual | undefined;
  let line = 0;
  for (let start = 0; start <= text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    const raw = text.slice(start, end);
    start = end + 1;
    line++;
    const at = { file: source.file, line };
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      if (newline === -1) break;
      continue;
    }
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw importInvalid(at, `expected "name = value", not ${JSON.stringify(trimmed.slice(0, 80))}`);
    const key = trimmed.slice(0, eq).trim().toLowerCase();
    const setting: Setting = { ...at, key, words: valueWords(trimmed.slice(eq + 1), at) };
    const indented = raw[0] === ' ' || raw[0] === '\t';
    if (key === 'virtual') {
      current = { at: setting, settings: [], globals: [...parsed.globals] };
      parsed.virtuals.push(current);
    } else if (indented && current !== undefined) {
      current.settings.push(setting);
    } else {
      // An unindented line ends the virtual section above it, as ldirectord reads it.
      current = undefined;
      parsed.globals.push(setting);
    }
    if (newline === -1) break;
  }
  return parsed;
}
