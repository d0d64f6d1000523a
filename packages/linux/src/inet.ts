import { isIPv4, isIPv6 } from 'node:net';

/**
 * IPv4 and IPv6 addresses as the kernel takes them (network-order bytes) and as it prints
 * them. Node parses neither into bytes: `net.isIP` only says yes or no.
 */

/** Parses an IPv4 or IPv6 address into its bytes (4 or 16), or undefined. */
export function parseAddress(text: string): Buffer | undefined {
  if (isIPv4(text)) return Buffer.from(text.split('.').map(Number));
  // Zone ids (fe80::1%eth0) are no part of the address bytes: refuse rather than drop them.
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let head = text;
  let v4tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    v4tail = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left = '', right] = head.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const words = right === undefined ? l : [...l, ...new Array(8 - l.length - r.length).fill(0), ...r];
  const bytes = Buffer.alloc(16);
  words.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  if (v4tail.length === 4) bytes.set(v4tail, 12);
  return bytes;
}

/** The 16 bytes of an IPv6 address (an embedded IPv4 tail allowed, a zone id not), or undefined. */
export function parseIPv6(text: string): Buffer | undefined {
  return isIPv6(text) ? parseAddress(text) : undefined;
}

export interface FormatOptions {
  /**
   * IPv4-mapped addresses (::ffff:0:0/96) in hex groups (`::ffff:c000:201`), as the WHATWG
   * URL parser writes them, instead of with the dotted tail the kernel prints.
   */
  mappedAsHex?: boolean;
}

/** Formats 4 or 16 bytes as an address; IPv6 in RFC 5952 form (longest zero run as ::). */
export function formatAddress(bytes: Uint8Array, family: 4 | 6, offset = 0, options: FormatOptions = {}): string {
  if (family === 4)
    return `${bytes[offset] ?? 0}.${bytes[offset + 1] ?? 0}.${bytes[offset + 2] ?? 0}.${bytes[offset + 3] ?? 0}`;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(((bytes[offset + i * 2] ?? 0) << 8) | (bytes[offset + i * 2 + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // IPv4-mapped addresses keep their dotted tail (RFC 5952 section 5), as the kernel prints them.
  if (!options.mappedAsHex && words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${bytes[offset + 12]}.${bytes[offset + 13]}.${bytes[offset + 14]}.${bytes[offset + 15]}`;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestStart === -1) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** Family and canonical text by address text: a reconcile asks for every real server, and a table has few distinct addresses. */
const known = new Map<string, { family: 4 | 6 | undefined; canonical: string }>();

function lookUp(address: string): { family: 4 | 6 | undefined; canonical: string } {
  let entry = known.get(address);
  if (entry === undefined) {
    // Dotted-quad text that passes isIPv4 (no leading zeros) is already canonical.
    const family = isIPv4(address) ? 4 : isIPv6(address) && !address.includes('%') ? 6 : undefined;
    const bytes = family === 6 ? parseAddress(address) : undefined;
    entry = { family, canonical: bytes ? formatAddress(bytes, 6) : address };
    if (known.size >= 100_000) known.clear();
    known.set(address, entry);
  }
  return entry;
}

/** 4 or 6, or undefined for text that is no address (or has a zone id). */
export function familyOf(address: string): 4 | 6 | undefined {
  return lookUp(address).family;
}

/** The canonical text of an address (so `2001:DB8:0::1` and `2001:db8::1` compare equal). */
export function canonicalAddress(address: string): string {
  return lookUp(address).canonical;
}
