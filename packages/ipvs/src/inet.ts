import {
  canonicalAddress as canonical,
  familyOf as family,
  formatAddress as format,
  parseAddress as parse,
} from '@sluice/linux';

/*
 * The address primitives, shared with the other packages through the private
 * @sluice/linux (bundled into dist). Declared here, so that no published declaration
 * names that package.
 */

/** Parses an IPv4 or IPv6 address into its bytes (4 or 16), or undefined. */
export function parseAddress(text: string): Uint8Array | undefined {
  return parse(text);
}

/** Formats 4 or 16 bytes as an address; IPv6 in RFC 5952 form (longest zero run as ::). */
export function formatAddress(bytes: Uint8Array, family: 4 | 6, offset = 0): string {
  return format(bytes, family, offset);
}

export function familyOf(address: string): 4 | 6 | undefined {
  return family(address);
}

/** The canonical text of an address (so `2001:DB8:0::1` and `2001:db8::1` compare equal). */
export function canonicalAddress(address: string): string {
  return canonical(address);
}
