import { describe, expect, it } from 'vitest';
import { canonicalAddress, familyOf, formatAddress, parseAddress, parseIPv6 } from '../src/inet.js';
import { libcLoader } from '../src/libc.js';
import { AF_INET, AF_INET6 } from '../src/socket-abi.js';

// glibc's own conversions are the reference: what the kernel and every C tool take and print.
const load = libcLoader((_koffi, lib) => ({
  pton: lib.func('int inet_pton(int, const char *, void *)'),
  ntop: lib.func('const char *inet_ntop(int, void *, void *, uint32_t)') as unknown as (
    ...args: unknown[]
  ) => string | null,
}));

function glibc() {
  const loaded = load();
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

function glibcParse(text: string): string | undefined {
  const family = text.includes(':') ? AF_INET6 : AF_INET;
  const out = Buffer.alloc(16);
  if (glibc().pton(family, text, out) !== 1) return undefined;
  return out.subarray(0, family === AF_INET6 ? 16 : 4).toString('hex');
}

function glibcFormat(bytes: Buffer): string {
  const out = Buffer.alloc(64);
  return glibc().ntop(AF_INET6, bytes, out, out.length) as string;
}

/** A deterministic spread of IPv6 addresses: runs of zero groups of every length at every place. */
function* sampleAddresses(): Generator<Buffer> {
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let start = 0; start < 8; start++) {
    for (let length = 0; start + length <= 8; length++) {
      for (let round = 0; round < 4; round++) {
        const bytes = Buffer.alloc(16);
        for (let word = 0; word < 8; word++) {
          if (word >= start && word < start + length) continue;
          // Some words zero outside the run too, some small, some large.
          const pick = next() % 5;
          bytes.writeUInt16BE(pick === 0 ? 0 : pick === 1 ? next() % 16 : next() & 0xffff, word * 2);
        }
        yield bytes;
      }
    }
  }
}

/** glibc writes IPv4-compatible addresses (::/96, deprecated by RFC 4291) with a dotted tail; RFC 5952 does not. */
const ipv4Compatible = (bytes: Buffer) => bytes.subarray(0, 12).every((b) => b === 0) && bytes.readUInt16BE(12) !== 0;

describe('parseAddress agrees with glibc inet_pton', () => {
  it.each([
    '192.0.2.1',
    '0.0.0.0',
    '2001:db8::1',
    '::',
    '::1',
    'FE80::ABCD',
    '1:2:3:4:5:6:7::',
    '::2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7:8',
    '::ffff:203.0.113.9',
    '64:ff9b::198.51.100.1',
    '1:2:3:4:5:6:1.2.3.4',
  ])('%s', (text) => {
    expect(parseAddress(text)?.toString('hex')).toBe(glibcParse(text));
  });

  it('on every form an address can be written in', () => {
    let compared = 0;
    for (const bytes of sampleAddresses()) {
      const long = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16)).join(':');
      for (const text of [long, long.toUpperCase(), formatAddress(bytes, 6), glibcFormat(bytes)]) {
        expect(parseAddress(text)?.toString('hex'), text).toBe(glibcParse(text));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(400);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '::g', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '::1.2.3'])(
    'refuses %j as glibc does',
    (text) => {
      expect(glibcParse(text)).toBeUndefined();
      expect(parseAddress(text)).toBeUndefined();
    },
  );
});

describe('formatAddress agrees with glibc inet_ntop (RFC 5952)', () => {
  it('on a spread of addresses', () => {
    let compared = 0;
    for (const bytes of sampleAddresses()) {
      if (ipv4Compatible(bytes)) continue;
      expect(formatAddress(bytes, 6), bytes.toString('hex')).toBe(glibcFormat(bytes));
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('keeps the dotted tail of IPv4-mapped addresses, as glibc does, unless asked for hex groups', () => {
    const mapped = parseAddress('::ffff:192.0.2.1') as Buffer;
    expect(formatAddress(mapped, 6)).toBe(glibcFormat(mapped));
    expect(formatAddress(mapped, 6, 0, { mappedAsHex: true })).toBe('::ffff:c000:201');
    // The form the WHATWG URL parser writes.
    expect(new URL('http://[::ffff:192.0.2.1]/').hostname).toBe('[::ffff:c000:201]');
  });

  it('reads at an offset', () => {
    const frame = Buffer.concat([Buffer.from('aabb', 'hex'), parseAddress('2001:db8::7') as Buffer]);
    expect(formatAddress(frame, 6, 2)).toBe('2001:db8::7');
    expect(formatAddress(Buffer.from('00c0000201', 'hex'), 4, 1)).toBe('192.0.2.1');
  });
});

describe('parseIPv6, familyOf, canonicalAddress', () => {
  it('parseIPv6 takes IPv6 only', () => {
    expect(parseIPv6('2001:db8::2')?.toString('hex')).toBe('20010db8000000000000000000000002');
    expect(parseIPv6('192.0.2.2')).toBeUndefined();
    expect(parseIPv6('fe80::1%eth0')).toBeUndefined();
  });

  it('a zone id is no address for any of them', () => {
    expect(parseAddress('fe80::1%eth0')).toBeUndefined();
    expect(familyOf('fe80::1%eth0')).toBeUndefined();
    expect(canonicalAddress('fe80::1%eth0')).toBe('fe80::1%eth0');
  });

  it('canonical text is what glibc prints', () => {
    for (const text of ['2001:DB8:0:0:0:0:0:1', '2001:db8:0000::1:0:0:1', 'FE80::0:ABCD', '::FFFF:c000:201']) {
      expect(canonicalAddress(text)).toBe(glibcFormat(parseAddress(text) as Buffer));
    }
    expect(familyOf('2001:db8::1')).toBe(6);
    expect(familyOf('192.0.2.1')).toBe(4);
    expect(familyOf('192.0.2.01')).toBeUndefined();
  });
});
