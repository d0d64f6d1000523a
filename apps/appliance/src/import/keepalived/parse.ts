/**
 * keepalived.conf as a tree of directives, the includes spliced in where they stand.
 * keepalived reads a file line by line: a directive is the words of a line up to a "{"
 * (which opens its block), a "}" or the line's end, so `TCP_CHECK { connect_timeout 3 }`
 * is a block on one line. Comments start at "#" or "!" anywhere outside quotes. One pass
 * over each character: no regular expression runs over user input.
 */
import { posix } from 'node:path';
import type { ImportSource } from '../contract.js';
import { importInvalid, MAX_IMPORT_BYTES, type Origin } from '../lvs-shared.js';

export interface Directive extends Origin {
  /** The first word (`virtual_server`), as written. */
  keyword: string;
  /** The words after it, quotes removed. */
  args: string[];
  /** The directives of its block; absent when it opens none. */
  block?: Directive[];
}

/** How deep includes may nest: keepalived's own limit is about as small, and a loop is caught before it. */
const MAX_INCLUDE_DEPTH = 8;
const MAX_BLOCK_DEPTH = 32;
const INCLUDES = new Set(['include', 'includer', 'includem', 'includew', 'includeb']);
const GLOB = /[*?[{]/;

interface Word {
  text: string;
  /** `{` and `}` as written, not quoted. */
  brace: boolean;
}

/** The words of one line: quoted strings are one word, a comment ends the line. */
function words(line: string, at: Origin): Word[] {
  const out: Word[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    const ch = line[i] as string;
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v') {
      i++;
    } else if (ch === '#' || ch === '!') {
      break;
    } else if (ch === '{' || ch === '}') {
      out.push({ text: ch, brace: true });
      i++;
    } else if (ch === '"') {
      const end = line.indexOf('"', i + 1);
      if (end === -1) throw importInvalid(at, 'a quoted string is not closed on its line');
      out.push({ text: line.slice(i + 1, end), brace: false });
      i = end + 1;
    } else {
      let j = i;
      while (j < n) {
        const c = line[j];
        if (c === ' ' || c === '\t' || c === '\r' || c === '{' || c === '}' || c === '#' || c === '!' || c === '"') {
          break;
        }
        j++;
      }
      out.push({ text: line.slice(i, j), brace: false });
      i = j;
    }
  }
  return out;
}

interface Reader {
  source: ImportSource;
  files: string[];
  bytes: number;
}

/** Builds the tree from a stream of lines spread over files; blocks may open in one file and close in another, as keepalived allows. */
class TreeBuilder {
  readonly root: Directive[] = [];
  private readonly stack: { list: Directive[]; opener?: Directive }[] = [{ list: this.root }];

  line(ws: Word[], at: Origin): void {
    let current: Directive | undefined;
    for (const w of ws) {
      const top = this.stack[this.stack.length - 1] as { list: Directive[]; opener?: Directive };
      if (w.brace && w.text === '{') {
        if (current === undefined) {
          // `{` on a line of its own opens the block of the directive above it.
          current = top.list[top.list.length - 1];
          if (current === undefined || current.block !== undefined) throw importInvalid(at, 'a "{" opens no block');
        }
        if (this.stack.length > MAX_BLOCK_DEPTH) throw importInvalid(at, `blocks nest deeper than ${MAX_BLOCK_DEPTH}`);
        current.block = [];
        this.stack.push({ list: current.block, opener: current });
        current = undefined;
      } else if (w.brace) {
        if (this.stack.length === 1) throw importInvalid(at, 'a "}" closes no block');
        this.stack.pop();
        current = undefined;
      } else if (current === undefined) {
        current = { file: at.file, line: at.line, keyword: w.text, args: [] };
        top.list.push(current);
      } else {
        current.args.push(w.text);
      }
    }
  }

  end(named: string, lastLine: number): Directive[] {
    const open = this.stack[this.stack.length - 1]?.opener;
    if (open !== undefined) {
      throw importInvalid(
        { file: named, line: lastLine },
        `the block of "${open.keyword}" (${open.file}:${open.line}) is not closed`,
      );
    }
    return this.root;
  }
}

async function readFile(reader: Reader, path: string, at: Origin | undefined): Promise<string> {
  let text: string;
  try {
    text = await reader.source.read(path);
  } catch (cause) {
    const where = at ?? { file: path, line: 1 };
    throw importInvalid(where, `cannot read ${JSON.stringify(path)}`, cause);
  }
  reader.bytes += Buffer.byteLength(text);
  if (reader.bytes > MAX_IMPORT_BYTES) {
    throw importInvalid(at ?? { file: path, line: 1 }, `the files read exceed ${MAX_IMPORT_BYTES} bytes`);
  }
  reader.files.push(path);
  return text;
}

async function feed(reader: Reader, tree: TreeBuilder, path: string, text: string, chain: string[]): Promise<number> {
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    line++;
    const at = { file: path, line };
    const ws = words(text.slice(start, end), at);
    const first = ws[0];
    if (first !== undefined && !first.brace && INCLUDES.has(first.text)) {
      const target = ws[1];
      if (target === undefined || target.brace || ws.length > 2)
        throw importInvalid(at, `${first.text} takes one file name`);
      await include(reader, tree, at, resolveInclude(path, target.text), chain);
    } else {
      tree.line(ws, at);
    }
    if (newline === -1) break;
    start = newline + 1;
  }
  return line;
}

/** keepalived resolves a relative include against the including file's directory. */
function resolveInclude(from: string, target: string): string {
  return posix.isAbsolute(target) ? posix.normalize(target) : posix.join(posix.dirname(from), target);
}

/** An include, relative to the including file's directory as keepalived resolves it; read only through the source. */
async function include(reader: Reader, tree: TreeBuilder, at: Origin, target: string, chain: string[]): Promise<void> {
  if (chain.length >= MAX_INCLUDE_DEPTH) throw importInvalid(at, `includes nest deeper than ${MAX_INCLUDE_DEPTH}`);
  let paths = [target];
  if (GLOB.test(target)) {
    paths = reader.source.glob === undefined ? [] : await reader.source.glob(target);
  }
  for (const path of paths) {
    if (chain.includes(path)) throw importInvalid(at, `include loop: ${[...chain, path].join(' -> ')}`);
    const text = await readFile(reader, path, at);
    await feed(reader, tree, path, text, [...chain, path]);
  }
}

/** The named file and its includes as one tree, and every file read. */
export async function parseKeepalived(source: ImportSource): Promise<{ tree: Directive[]; files: string[] }> {
  const reader: Reader = { source, files: [], bytes: 0 };
  const tree = new TreeBuilder();
  const named = source.file;
  const text = await readFile(reader, named, undefined);
  const lines = await feed(reader, tree, named, text, [named]);
  return { tree: tree.end(named, lines), files: reader.files };
}
