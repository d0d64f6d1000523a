import { isIP } from 'node:net';
import { invalidField } from './errors.js';

// Any control character (newline above all) would end a config line early: the
// injection this package exists to refuse.
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
const TOKEN = /^[A-Za-z0-9_.:/@+,=-]+$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A proxy, server, ACL or cookie name: letters, digits, `_ . : -`. */
export function name(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw invalidField(field, `${JSON.stringify(value)} is not a name (letters, digits, "_.:-", up to 100)`);
  }
  return value;
}

/** Any text without control characters (and, unless allowed, not empty). */
export function text(value: unknown, field: string, options: { allowEmpty?: boolean; max?: number } = {}): string {
  if (typeof value !== 'string') throw invalidField(field, 'must be a string');
  if (hasControl(value)) throw invalidField(field, `${JSON.stringify(value)} holds a control character`);
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

/** A literal inside a log-format string (header values): `%` would start a sample fetch. */
export function logFormatLiteral(value: unknown, field: string): string {
  return quote(text(value, field, { allowEmpty: true }).replaceAll('%', '%%'), field, { allowEmpty: true });
}

export function headerName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !HEADER_NAME.test(value)) {
    throw invalidField(field, `${JSON.stringify(value)} is not an HTTP header name`);
  }
  return value;
}

/** An absolute path, quoted for the config. */
export function path(value: unknown, field: string): string {
  const checked = text(value, field);
  if (!checked.startsWith('/')) throw invalidField(field, `${JSON.stringify(checked)} is not an absolute path`);
  return quote(checked, field);
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
