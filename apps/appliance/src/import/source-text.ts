/**
 * What the haproxy.cfg and ipvsadm importers share: reading a file within a stated bound,
 * the IMPORT_INVALID error that cites a file and line, and labels made from the source's
 * names that satisfy the schema's label rule and stay unique.
 */
import { ApplianceError } from '../errors.js';
import type { ImportSource } from './contract.js';

/** A broken source: the field is `file:line`, the message starts with it. */
export function importInvalid(file: string, line: number, message: string, cause?: unknown): ApplianceError {
  const at = `${file}:${line}`;
  return new ApplianceError('IMPORT_INVALID', `${at}: ${message}`, {
    field: at,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The named file's text, refused over `maxBytes` (a bound on memory and time, stated in the error). */
export async function readBounded(source: ImportSource, maxBytes: number): Promise<string> {
  const text = await source.read(source.file);
  // UTF-16 length bounds the UTF-8 size from below; Buffer.byteLength is exact and linear.
  if (text.length > maxBytes || Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw importInvalid(source.file, 1, `the file is larger than ${maxBytes} bytes, the most an import reads`);
  }
  return text;
}

const LABEL_MAX = 64;

/** `base` or, when taken, `base_2`, `base_3`... within 64 characters; recorded as taken. */
export function uniqueLabel(base: string, taken: Set<string>): string {
  let label = base;
  for (let n = 2; taken.has(label); n++) {
    const suffix = `_${n}`;
    label = `${base.slice(0, LABEL_MAX - suffix.length)}${suffix}`;
  }
  taken.add(label);
  return label;
}

/**
 * Labels from names: characters the label rule refuses become "_", a leading one that is
 * not a letter or digit gets an "x" before it, and a name already taken gets "_2", "_3"...
 * (within 64 characters), so two sources' names never collide.
 */
export class Labels {
  private readonly taken = new Set<string>();

  constructor(existing: Iterable<string> = []) {
    for (const label of existing) this.taken.add(label);
  }

  make(name: string): string {
    let base = '';
    for (const ch of name) base += /[A-Za-z0-9_.-]/.test(ch) ? ch : '_';
    if (!/^[A-Za-z0-9]/.test(base)) base = `x${base}`;
    return uniqueLabel(base.slice(0, LABEL_MAX), this.taken);
  }
}

/** An address as a label part: IPv6 colons become "-" (`2001-db8--10`). */
export const addressPart = (address: string) => address.replaceAll(':', '-');
