/**
 * Netlink attributes (TLVs): 2-byte length, 2-byte type, payload, padded to 4 bytes.
 * Nested attributes carry NLA_F_NESTED, which strict kernels check (the `netlink`
 * package's own builder never sets it, one reason this codec is ours).
 */
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

export const align4 = (n: number): number => (n + 3) & ~3;

export type AttrValue = Uint8Array | Attr[];

/** One attribute to encode: a raw payload, or children (nested). */
export interface Attr {
  type: number;
  value: AttrValue;
}

export function attrSize(attr: Attr): number {
  return align4(4 + payloadSize(attr.value));
}

function payloadSize(value: AttrValue): number {
  if (value instanceof Uint8Array) return value.length;
  let size = 0;
  for (const child of value) size += attrSize(child);
  return size;
}

/** Writes attributes at `offset`; returns the offset after them. */
export function writeAttrs(buf: Buffer, offset: number, attrs: readonly Attr[]): number {
  let at = offset;
  for (const attr of attrs) {
    const nested = !(attr.value instanceof Uint8Array);
    const len = 4 + payloadSize(attr.value);
    buf.writeUInt16LE(len, at);
    buf.writeUInt16LE(attr.type | (nested ? NLA_F_NESTED : 0), at + 2);
    if (attr.value instanceof Uint8Array) {
      buf.set(attr.value, at + 4);
    } else {
      writeAttrs(buf, at + 4, attr.value);
    }
    const end = at + align4(len);
    buf.fill(0, at + len, end);
    at = end;
  }
  return at;
}

/** Attributes of one level, by type (the last one wins, as in the kernel's nla_parse). */
export type AttrMap = Map<number, Buffer>;

export function parseAttrs(buf: Buffer): AttrMap {
  const map: AttrMap = new Map();
  let at = 0;
  while (at + 4 <= buf.length) {
    const len = buf.readUInt16LE(at);
    const type = buf.readUInt16LE(at + 2) & NLA_TYPE_MASK;
    if (len < 4 || at + len > buf.length) throw new RangeError(`malformed attribute at ${at} (length ${len})`);
    map.set(type, buf.subarray(at + 4, at + len));
    at += align4(len);
  }
  return map;
}

// Payload builders. Netlink integers are host order (little-endian on every platform
// IPVS runs on that Node supports); ports and IPv4 netmasks are network order.
export const u8 = (n: number): Uint8Array => Uint8Array.of(n);
export function u16(n: number): Uint8Array {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}
export function u32(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}
export function be16(n: number): Uint8Array {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
export function cstring(s: string): Uint8Array {
  return Buffer.from(`${s}\0`, 'utf8');
}

export const readU8 = (b: Buffer | undefined): number | undefined => (b && b.length >= 1 ? b.readUInt8(0) : undefined);
export const readU16 = (b: Buffer | undefined): number | undefined =>
  b && b.length >= 2 ? b.readUInt16LE(0) : undefined;
export const readU32 = (b: Buffer | undefined): number | undefined =>
  b && b.length >= 4 ? b.readUInt32LE(0) : undefined;
export const readBe16 = (b: Buffer | undefined): number | undefined =>
  b && b.length >= 2 ? b.readUInt16BE(0) : undefined;
export const readU64 = (b: Buffer | undefined): bigint | undefined =>
  b && b.length >= 8 ? b.readBigUInt64LE(0) : undefined;
export function readCString(b: Buffer | undefined): string | undefined {
  if (!b) return undefined;
  const end = b.indexOf(0);
  return b.subarray(0, end === -1 ? b.length : end).toString('utf8');
}
