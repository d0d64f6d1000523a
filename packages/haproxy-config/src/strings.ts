import { isIP } from 'node:net';
import { invalidField } from './errors.js';

// Each kind of name is defined once, here: the renderers write them and `checkModel` (and
// the appliance's schema, through the public entry) checks them with the same predicate,
// so the schema and the renderers cannot disagree on what a name is.

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
// Written bare: no character HAProxy's tokenizer treats specially (quote, `#`, `\`, `$`, space).
const TOKEN = /^[A-Za-z0-9_.:/@+,=-]+$/;
// An HTTP token (RFC 9110 tchar) without `#` (would start a comment: the rest of the line
// vanishes) and `'` (would start a quoted string): both are written bare, also inside
// `hdr(...)` and `rdp-cookie(...)` arguments, where HAProxy applies its quoting a second time.
const HTTP_TOKEN = /^[!$%&*+.^_`|~0-9A-Za-z-]{1,100}$/;
// Linux dev_valid_name(): shorter than IFNAMSIZ (16), not `.` or `..`, no `/`, `:` or space;
// printable ASCII only, and no leading `-`, which a command line would take for an option.
const INTERFACE_NAME = /^(?!-)(?!\.{1,2}$)[!-.0-9;-~]{1,15}$/;
// Absolute, and only characters that mean the same bare in every file that names a path
// (HAProxy config, crt-list, shell): no space, quote, `#`, `$`, backslash or non-ASCII.
const FILE_PATH = /^\/[A-Za-z0-9._+@=,:~/-]{0,4095}$/;

/**
 * A control character (C0, DEL, C1) or a Unicode line/paragraph separator would end a line
 * for some reader of the config or the logs; a lone surrogate cannot be written as UTF-8
 * at all (it would become U+FFFD, another value than the one checked).
 */
function badCharacter(value: string): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return 'a control character';
    if (c === 0x2028 || c === 0x2029) return 'a line separator';
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return 'a lone surrogate';
    }
    if (c >= 0xdc00 && c <= 0xdfff) return 'a lone surrogate';
  }
  return undefined;
}

/** A proxy, server, ACL or user name: letters, digits, `_ . : -`, starting with a letter or digit. */
export function isName(value: unknown): value is string {
  return typeof value === 'string' && NAME.test(value);
}

/** An HTTP header name: an RFC 9110 token without `#` or `'`, up to 100 characters. */
export function isHeaderName(value: unknown): value is string {
  return typeof value === 'string' && HTTP_TOKEN.test(value);
}

/** A cookie name: an RFC 6265 token (the header name's characters), up to 100 characters. */
export function isCookieName(value: unknown): value is string {
  return typeof value === 'string' && HTTP_TOKEN.test(value);
}

/** A Linux interface name (IFNAMSIZ rules), printable ASCII, not starting with `-`. */
export function isInterfaceName(value: unknown): value is string {
  return typeof value === 'string' && INTERFACE_NAME.test(value);
}

/** An absolute file path of `A-Z a-z 0-9 . _ + @ = , : ~ / -`, up to 4096 characters. */
export function isFilePath(value: unknown): value is string {
  return typeof value === 'string' && FILE_PATH.test(value);
}

/**
 * Text any config word may hold once quoted (header values, ACL patterns, comments): a
 * string with no control character, line separator or lone surrogate.
 */
export function isText(value: unknown): value is string {
  return typeof value === 'string' && badCharacter(value) === undefined;
}

/** A proxy, server, ACL, user or cookie-value name (`isName`). */
export function name(value: unknown, field: string): string {
  if (!isName(value)) {
    throw invalidField(field, `${JSON.stringify(value)} is not a name (letters, digits, "_.:-", up to 100)`);
  }
  return value;
}

/** Any text without control characters (and, unless allowed, not empty). */
export function text(value: unknown, field: string, options: { allowEmpty?: boolean; max?: number } = {}): string {
  if (typeof value !== 'string') throw invalidField(field, 'must be a string');
  const bad = badCharacter(value);
  if (bad !== undefined) throw invalidField(field, `${JSON.stringify(value)} holds ${bad}`);
  if (!options.allowEmpty && value.length === 0) throw invalidField(field, 'must not be empty');
  if (value.length > (options.max ?? 4096)) throw invalidField(field, 'is too long');
  return value;
}

/**
 * One config word holding `value` literally. Plain tokens stay bare; anything else is
 * single-quoted (HAProxy's strong quoting: no escapes, no `$VAR` expansion), or
 * double-quoted with `\ " $` escaped when it holds a single quote.
 */
export function quote(value: unknown, field: string, options: { allowEmpty?: boolean } = {}): string {
  const checked = text(value, field, options);
  if (TOKEN.test(checked)) return checked;
  if (!checked.includes("'")) return `'${checked}'`;
  return `"${checked.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

/**
 * A header value, as a literal inside a log-format string: `%` would start a sample fetch.
 * HAProxy refuses an empty one, and HTTP strips spaces at either end (the server would
 * see another value), so both are refused.
 */
export function logFormatLiteral(value: unknown, field: string): string {
  const checked = text(value, field);
  if (checked.startsWith(' ') || checked.endsWith(' ')) {
    throw invalidField(field, `${JSON.stringify(checked)} starts or ends with a space, which HTTP drops`);
  }
  return quote(checked.replaceAll('%', '%%'), field);
}

export function headerName(value: unknown, field: string): string {
  if (!isHeaderName(value)) {
    throw invalidField(field, `${JSON.stringify(value)} is not an HTTP header name (a token without "#" or "'")`);
  }
  return value;
}

export function cookieName(value: unknown, field: string): string {
  if (!isCookieName(value)) {
    throw invalidField(field, `${JSON.stringify(value)} is not a cookie name (a token without "#" or "'")`);
  }
  return value;
}

/** An absolute path of plain characters (see `isFilePath`): written bare. */
export function path(value: unknown, field: string): string {
  if (!isFilePath(value)) {
    throw invalidField(field, `${JSON.stringify(value)} is not an absolute path of "A-Za-z0-9._+@=,:~/-"`);
  }
  return value;
}

export function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidField(field, `${JSON.stringify(value)} is not an integer from ${min} to ${max}`);
  }
  return value;
}

export function port(value: unknown, field: string): number {
  return integer(value, field, 1, 65535);
}

/** An IPv4 or IPv6 address (no names: a config must not depend on DNS at load time). */
export function address(value: unknown, field: string): { address: string; family: 4 | 6 } {
  const family = typeof value === 'string' ? isIP(value) : 0;
  if (family === 0) throw invalidField(field, `${JSON.stringify(value)} is not an IP address`);
  return { address: value as string, family: family as 4 | 6 };
}

/** `address:port` with IPv6 in brackets. */
export function hostPort(value: unknown, portValue: number | undefined, field: string, portField: string): string {
  const { address: a, family } = address(value, field);
  const host = family === 6 ? `[${a}]` : a;
  return portValue === undefined ? host : `${host}:${port(portValue, portField)}`;
}

/** A network `address/prefix` (or a single address). */
export function network(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalidField(field, 'must be a string');
  const [a, prefix, ...rest] = value.split('/');
  const { family } = address(a, field);
  if (rest.length > 0) throw invalidField(field, `${JSON.stringify(value)} is not a network`);
  if (prefix !== undefined) {
    if (!/^\d{1,3}$/.test(prefix)) throw invalidField(field, `${JSON.stringify(value)} has a bad prefix length`);
    integer(Number(prefix), field, 0, family === 4 ? 32 : 128);
  }
  return value;
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidField(field, `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** Milliseconds as HAProxy writes them: `8h`, `5s`, `1m`, or `250ms` when not whole seconds. */
export function duration(value: unknown, field: string): string {
  const ms = integer(value, field, 0, 2_147_483_647);
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function list<T>(value: unknown, field: string): T[] {
  if (!Array.isArray(value)) throw invalidField(field, 'must be an array');
  return value as T[];
}
