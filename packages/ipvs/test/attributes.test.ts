import { describe, expect, it } from 'vitest';
import {
  type Attr,
  AttrView,
  align4,
  attrSize,
  be16,
  cstring,
  NLA_F_NESTED,
  NLA_F_NET_BYTEORDER,
  u8,
  u16,
  u32,
  writeAttrs,
} from '../src/netlink/attributes.js';
import { hex } from './fixtures/hex.js';

const hexOf = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);

/** Encodes into a buffer pre-filled with garbage, so padding that is not written shows. */
function encode(attrs: Attr[], offset = 0): { buf: Buffer; end: number } {
  let size = offset;
  for (const a of attrs) size += attrSize(a);
  const buf = Buffer.alloc(size + 8, 0xaa);
  const end = writeAttrs(buf, offset, attrs);
  return { buf, end };
}

describe('constants', () => {
  it('match <linux/netlink.h>', () => {
    expect(NLA_F_NESTED).toBe(1 << 15);
    expect(NLA_F_NET_BYTEORDER).toBe(1 << 14);
  });

  it.each([
    [0, 0],
    [1, 4],
    [3, 4],
    [4, 4],
    [5, 8],
    [9, 12],
    [20, 20],
  ])('align4(%i) = %i', (n, aligned) => {
    expect(align4(n)).toBe(aligned);
  });
});

describe('writeAttrs', () => {
  it('writes len (without padding), type, payload, and zero padding', () => {
    const { buf, end } = encode([{ type: 6, value: cstring('sh') }]);
    expect(end).toBe(8);
    expect(hexOf(buf.subarray(0, end))).toBe('0700060073680000');
  });

  it('needs no padding on a 4-byte payload and pads a 1-byte one by 3', () => {
    const { buf, end } = encode([
      { type: 4, value: u32(0x01020304) },
      { type: 13, value: u8(1) },
      { type: 2, value: be16(80) },
    ]);
    expect(end).toBe(24);
    expect(hexOf(buf.subarray(0, end))).toBe(['0800040004030201', '05000d0001000000', '0600020000500000'].join(''));
  });

  it('marks nested attributes with NLA_F_NESTED; their len covers the children and their padding', () => {
    const { buf, end } = encode([
      {
        type: 1,
        value: [
          { type: 1, value: u16(2) },
          { type: 6, value: cstring('rr') },
        ],
      },
    ]);
    expect(hexOf(buf.subarray(0, end))).toBe(
      hex`
        14 00 01 80                 // len 20 = 4 + 8 + 8, type 1 | NLA_F_NESTED
          06 00 01 00 02 00 00 00   // u16, 2 bytes padding
          07 00 06 00 72 72 00 00   // "rr" + NUL, 1 byte padding
      `.toString('hex'),
    );
  });

  it('nests deeper, flagging every level', () => {
    const { buf, end } = encode([{ type: 2, value: [{ type: 10, value: [{ type: 1, value: u32(7) }] }] }]);
    expect(hexOf(buf.subarray(0, end))).toBe(['10000280', '0c000a80', '08000100', '07000000'].join(''));
  });

  it('writes an empty nest as a flagged 4-byte attribute, an empty payload as an unflagged one', () => {
    const { buf, end } = encode([
      { type: 3, value: [] },
      { type: 5, value: new Uint8Array(0) },
    ]);
    expect(hexOf(buf.subarray(0, end))).toBe('0400038004000500');
  });

  it('writes at the offset and returns the offset after the attributes', () => {
    const { buf, end } = encode([{ type: 9, value: u8(0xff) }], 20);
    expect(end).toBe(28);
    expect(hexOf(buf.subarray(0, 20))).toBe('aa'.repeat(20));
    expect(hexOf(buf.subarray(20, 28))).toBe('05000900ff000000');
    expect(hexOf(buf.subarray(28))).toBe('aa'.repeat(8));
  });

  it('attrSize agrees with what writeAttrs writes', () => {
    const attrs: Attr[] = [
      { type: 1, value: cstring('eth0') },
      {
        type: 2,
        value: [
          { type: 1, value: u8(1) },
          { type: 2, value: [] },
        ],
      },
    ];
    expect(attrs.map(attrSize)).toEqual([12, 16]);
    expect(encode(attrs).end).toBe(28);
  });
});

// What an attribute view holds for a type, as hex (undefined when absent).
const payloadOf = (v: AttrView, type: number) => {
  const span = v.span(type);
  return span ? hexOf(v.buf.subarray(span.offset, span.offset + span.length)) : undefined;
};

describe('AttrView', () => {
  it('finds payloads in place, without padding, ignoring the nested and byte-order bits', () => {
    const v = new AttrView(
      hex`
        07 00 06 00 72 72 00 00       // type 6, "rr" + NUL
        0c 00 01 80                   // type 1 | NLA_F_NESTED
          08 00 01 00 05 00 00 00
        06 00 04 40 00 50 00 00       // type 4 | NLA_F_NET_BYTEORDER
      `,
    );
    expect([6, 1, 4].map((t) => v.has(t))).toEqual([true, true, true]);
    expect(v.has(2)).toBe(false);
    expect(payloadOf(v, 6)).toBe('727200');
    expect(payloadOf(v, 1)).toBe('0800010005000000');
    expect(payloadOf(v, 4)).toBe('0050');
    expect(v.nested(1)?.u32(1)).toBe(5);
  });

  it('keeps the last of repeated types, as nla_parse does', () => {
    expect(new AttrView(hex`08 00 02 00 01 00 00 00  08 00 02 00 02 00 00 00`).u32(2)).toBe(2);
  });

  it('accepts a final attribute without its padding, and ignores a tail shorter than a header', () => {
    expect(payloadOf(new AttrView(hex`05 00 01 00 07`), 1)).toBe('07');
    const v = new AttrView(hex`08 00 01 00 07 00 00 00 00 00`);
    expect(v.u32(1)).toBe(7);
  });

  it('reads a window of a larger buffer (offset and end)', () => {
    const buf = hex`ff ff ff ff 08 00 03 00 2a 00 00 00 08 00 04 00 01 00 00 00`;
    const v = new AttrView(buf, 4, 12);
    expect(v.u32(3)).toBe(42);
    expect(v.has(4)).toBe(false);
  });

  it('throws RangeError on a length below 4 or beyond the buffer', () => {
    expect(() => new AttrView(hex`02 00 01 00 00 00 00 00`)).toThrow(RangeError);
    expect(() => new AttrView(hex`0c 00 01 00 00 00 00 00`)).toThrow(RangeError);
  });

  it('reads back what writeAttrs wrote', () => {
    const { buf, end } = encode([
      { type: 1, value: u16(10) },
      { type: 3, value: [{ type: 1, value: u32(0xdeadbeef) }] },
      { type: 6, value: cstring('wlc') },
    ]);
    const v = new AttrView(buf, 0, end);
    expect(v.u16(1)).toBe(10);
    expect(v.nested(3)?.u32(1)).toBe(0xdeadbeef);
    expect(v.cstring(6)).toBe('wlc');
  });

  it('reset() forgets the attributes of the previous message', () => {
    const v = new AttrView(hex`08 00 01 00 07 00 00 00  08 00 02 00 09 00 00 00`);
    expect(v.reset(hex`08 00 02 00 2a 00 00 00`)).toBe(v);
    expect(v.has(1)).toBe(false);
    expect(v.u32(1)).toBeUndefined();
    expect(v.u32(2)).toBe(42);
    expect(v.reset(Buffer.alloc(0)).has(2)).toBe(false);
  });

  it('nestedInto() fills the view it is given, or leaves it for an absent attribute', () => {
    const outer = new AttrView(hex`0c 00 03 80  08 00 01 00 05 00 00 00`);
    const inner = new AttrView();
    expect(outer.nestedInto(3, inner)).toBe(inner);
    expect(inner.u32(1)).toBe(5);
    expect(outer.nestedInto(4, inner)).toBeUndefined();
  });

  it('offsetOf() gives where a payload starts, -1 when absent or too short', () => {
    const v = new AttrView(hex`08 00 01 00 07 00 00 00  06 00 02 00 01 02 00 00`);
    expect(v.offsetOf(1)).toBe(4);
    expect(v.offsetOf(1, 4)).toBe(4);
    expect(v.offsetOf(2, 4)).toBe(-1);
    expect(v.offsetOf(3)).toBe(-1);
  });
});

describe('payload builders', () => {
  it('writes integers in host order (little-endian) and ports in network order', () => {
    expect(hexOf(u8(0xfe))).toBe('fe');
    expect(hexOf(u16(0x1234))).toBe('3412');
    expect(hexOf(u32(0x12345678))).toBe('78563412');
    expect(hexOf(u32(0xffffffff))).toBe('ffffffff');
    expect(hexOf(u32(-1))).toBe('ffffffff');
    expect(hexOf(be16(8080))).toBe('1f90');
    expect(hexOf(be16(65535))).toBe('ffff');
  });

  it('NUL-terminates strings, in UTF-8', () => {
    expect(hexOf(cstring(''))).toBe('00');
    expect(hexOf(cstring('eth0'))).toBe('6574683000');
    expect(hexOf(cstring('é'))).toBe('c3a900');
  });
});

describe('payload readers', () => {
  // One attribute of type 1 holding these bytes.
  const one = (h: string) => {
    const payload = Buffer.from(h, 'hex');
    const { buf, end } = encode([{ type: 1, value: payload }]);
    return new AttrView(buf, 0, end);
  };

  it('read host-order integers and network-order ports', () => {
    expect(one('7f').u8(1)).toBe(0x7f);
    expect(one('3412').u16(1)).toBe(0x1234);
    expect(one('78563412').u32(1)).toBe(0x12345678);
    expect(one('ffffffff').u32(1)).toBe(0xffffffff);
    expect(one('1f90').be16(1)).toBe(8080);
    expect(one('ffffff00').be32(1)).toBe(0xffffff00);
    expect(one('0500000001000000').u64(1)).toBe(0x1_0000_0005n);
    expect(one('ffffffffffffffff').u64(1)).toBe(2n ** 64n - 1n);
    expect(one('0500000000000000').u64(1)).toBe(5n);
    expect(one('0000000000000000').u64(1)).toBe(0n);
  });

  it('read a u64 as a number for rates, exact below 2^53', () => {
    expect(one('0500000001000000').u64Number(1)).toBe(0x1_0000_0005);
    expect(one('ffffffff00000000').u64Number(1)).toBe(0xffffffff);
    expect(one('ffffffffffff1f00').u64Number(1)).toBe(Number.MAX_SAFE_INTEGER);
    expect(one('01020304050607').u64Number(1)).toBeUndefined();
  });

  it('return undefined for a missing or short payload', () => {
    const empty = new AttrView(Buffer.alloc(0));
    expect([empty.u8(1), empty.u16(1), empty.u32(1), empty.be16(1), empty.u64(1), empty.cstring(1)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(one('').u8(1)).toBeUndefined();
    expect(one('01').u16(1)).toBeUndefined();
    expect(one('01').be16(1)).toBeUndefined();
    expect(one('010203').u32(1)).toBeUndefined();
    expect(one('01020304050607').u64(1)).toBeUndefined();
  });

  it('read a C string up to its NUL, or the whole payload without one', () => {
    expect(one('72720000').cstring(1)).toBe('rr');
    expect(one('777263').cstring(1)).toBe('wrc');
    expect(one('00').cstring(1)).toBe('');
  });
});
