/**
 * haproxy.cfg's lexical rules (configuration manual, 2.2 and 2.3), in one pass over each
 * line with no regular expression on the user's text:
 * - words are separated by spaces and tabs; `#` outside quotes starts a comment;
 * - a backslash escapes the next character (`\ `, `\#`, `\\`, `\'`, `\"`, `\$`), `\r`,
 *   `\n`, `\t` and `\xNN` stand for those bytes; inside single quotes nothing is escaped;
 * - double quotes group words (and `#`) but still take escapes and environment variables;
 *   single quotes group words and take everything literally; quoted parts and unquoted ones
 *   join into one word (`"a b"'c'` is `a bc`);
 * - `$NAME` / `${NAME}` outside single quotes is an environment variable, which an import
 *   cannot expand: the line is flagged and the importer notes it instead of guessing;
 * - no line continuation: a trailing backslash escapes nothing.
 */
import { importInvalid } from '../source-text.js';

/** HAProxy refuses a line with more words (MAX_LINE_ARGS). */
export const MAX_WORDS = 64;

export interface CfgLine {
  line: number;
  words: string[];
  /** Uses an environment variable (`$NAME`, `${NAME}`), left unexpanded in `words`. */
  env: boolean;
}

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r';
const isNameStart = (c: string | undefined) => c !== undefined && (c === '_' || c === '{' || /[A-Za-z]/.test(c));
const ESCAPES: Record<string, string> = { r: '\r', n: '\n', t: '\t' };

/** One line's words, or undefined for a blank or comment line. */
export function lineWords(file: string, lineNo: number, text: string): CfgLine | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  let env = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
      continue;
    }
    if (c === '\\' && i + 1 < text.length) {
      const next = text[++i] as string;
      if (next === 'x' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
        word += String.fromCharCode(Number.parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        word += ESCAPES[next] ?? next;
      }
      inWord = true;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else {
        if (c === '$' && isNameStart(text[i + 1])) env = true;
        word += c;
      }
      continue;
    }
    if (c === '#') break;
    if (isSpace(c)) {
      if (inWord) {
        words.push(word);
        word = '';
        inWord = false;
      }
      continue;
    }
    inWord = true;
    if (c === '"' || c === "'") quote = c;
    else {
      if (c === '$' && isNameStart(text[i + 1])) env = true;
      word += c;
    }
  }
  if (quote) throw importInvalid(file, lineNo, `unterminated ${quote === '"' ? 'double' : 'single'} quote`);
  if (inWord) words.push(word);
  if (words.length === 0) return undefined;
  if (words.length > MAX_WORDS) throw importInvalid(file, lineNo, `more than ${MAX_WORDS} words on one line`);
  return { line: lineNo, words, env };
}

/** Every non-blank line of the file, in order. */
export function tokenize(file: string, text: string): CfgLine[] {
  const out: CfgLine[] = [];
  let start = 0;
  let lineNo = 1;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const parsed = lineWords(file, lineNo, text.slice(start, end));
    if (parsed) out.push(parsed);
    start = end + 1;
    lineNo++;
  }
  return out;
}
