import { describe, expect, it } from 'vitest';
import { canonicalAddress, familyOf, formatAddress, parseAddress } from '../src/inet.js';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const hexOf = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);

describe('parseAddress', () => {
  it.each([
    ['192.0.2.10', 'c000020a'],
    ['0.0.0.0', '00000000'],
    ['255.255.255.255', 'ffffffff'],
    ['2001:db8::10', '20010db8000000000000000000000010'],
    ['2001:DB8:0:0:0:0:0:1', '20010db8000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['1::', '00010000000000000000000000000000'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['2001:db8::1:2', '20010db8000000000000000000010002'],
    ['fe80::abcd:ef01:2345:6789', 'fe80000000000000abcdef0123456789'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['2001:db8:1:2:3:4:198.51.100.7', '20010db80001000200030004c6336407'],
    ['::198.51.100.7', '000000000000000000000000c6336407'],
  ])('%s', (text, expected) => {
    expect(hexOf(parseAddress(text))).toBe(expected);
  });

  it.each([
    '',
    '192.0.2',
    '192.0.2.256',
    '192.0.2.1/24',
    '2001:db8::g',
    '1:2:3:4:5:6:7:8:9',
    '2001::db8::1',
    'localhost',
    ' 192.0.2.1',
  ])('rejects %j', (text) => {
    expect(parseAddress(text)).toBeUndefined();
    expect(familyOf(text)).toBeUndefined();
  });
});

describe('formatAddress (RFC 5952)', () => {
  it.each([
    ['20010db8000000000000000000000010', '2001:db8::10'],
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['00010000000000000000000000000000', '1::'],
    // Leading zeros dropped, lower case.
    ['20010db800aa00bb00cc00dd00ee00ff', '2001:db8:aa:bb:cc:dd:ee:ff'],
    ['abcdef0000000000000000000000000a', 'abcd:ef00::a'],
    // A single zero group is not compressed.
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
    // The longest run wins.
    ['20010000000000010000000000000001', '2001:0:0:1::1'],
    // Of two equal runs, the first.
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    // A run at the end.
    ['20010db8000100000000000000000000', '2001:db8:1::'],
    ['fe80000000000000abcdef0123456789', 'fe80::abcd:ef01:2345:6789'],
  ])('%s -> %s', (hex, text) => {
    expect(formatAddress(bytes(hex), 6)).toBe(text);
  });

  it('formats IPv4 from the first 4 bytes of a 16-byte union nf_inet_addr', () => {
    expect(formatAddress(bytes('c000020a000000000000000000000000'), 4)).toBe('192.0.2.10');
    expect(formatAddress(bytes('cb0071ff'), 4)).toBe('203.0.113.255');
  });

  it('round-trips through parseAddress', () => {
    for (const text of ['2001:db8::10', '::', '::1', '2001:db8:0:1:1:1:1:1', '2001:db8::1:0:0:1', 'ff15::db8:0:1']) {
      expect(formatAddress(parseAddress(text) as Uint8Array, 6)).toBe(text);
    }
  });
});

describe('familyOf and canonicalAddress', () => {
  it('tells the family', () => {
    expect(familyOf('198.51.100.1')).toBe(4);
    expect(familyOf('2001:db8::1')).toBe(6);
    expect(familyOf('2001:db8::1.2.3.4')).toBe(6);
  });

  it.each([
    ['2001:DB8:0::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['198.51.100.1', '198.51.100.1'],
  ])('canonicalAddress(%s) = %s', (text, canonical) => {
    expect(canonicalAddress(text)).toBe(canonical);
  });

  it('returns text that is not an address unchanged', () => {
    expect(canonicalAddress('not-an-address')).toBe('not-an-address');
  });
});

describe('review fixes', () => {
  it('refuses zone ids instead of dropping them', () => {
    expect(parseAddress('fe80::1%eth0')).toBeUndefined();
    expect(familyOf('fe80::1%eth0')).toBeUndefined();
  });

  it('keeps the dotted tail of IPv4-mapped addresses (RFC 5952 section 5)', () => {
    expect(formatAddress(bytes('00000000000000000000ffffc0000201'), 6)).toBe('::ffff:192.0.2.1');
    expect(canonicalAddress('::FFFF:c000:201')).toBe('::ffff:192.0.2.1');
  });
});
