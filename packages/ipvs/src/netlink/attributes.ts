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

/** Writes attributes at `offset` (the buffer has room: see attrSize); returns the offset after them. */
export function writeAttrs(buf: Buffer, offset: number, attrs: readonly Attr[]): number {
  let at = offset;
  for (const attr of attrs) {
    const value = attr.value;
    let len: number;
    if (value instanceof Uint8Array) {
      buf.set(value, at + 4);
      len = 4 + value.length;
      buf.writeUInt16LE(attr.type, at + 2);
    } else {
      // A nested attribute's length is known once its children are written.
      len = writeAttrs(buf, at + 4, value) - at;
      buf.writeUInt16LE(attr.type | NLA_F_NESTED, at + 2);
    }
    buf.writeUInt16LE(len, at);
    const end = at + align4(len);
    for (let pad = at + len; pad < end; pad++) buf[pad] = 0;
    at = end;
  }
  return at;
}

// Payload builders. Netlink integers are host order (little-endian on every platform
// IPVS runs on that Node supports); ports and IPv4 netmasks are network order.
// Payloads are never written after they are built, so small values are shared: a batch of
// 100,000 changes would otherwise allocate a million tiny buffers for ports and weights.
const SHARED_MAX = 65536;
function shared(cache: Uint8Array[], n: number, make: (n: number) => Uint8Array): Uint8Array {
  if (n < 0 || n >= SHARED_MAX || !Number.isInteger(n)) return make(n);
  let b = cache[n];
  if (!b) {
    b = make(n);
    cache[n] = b;
  }
  return b;
}
const u8s: Uint8Array[] = [];
const u16s: Uint8Array[] = [];
const u32s: Uint8Array[] = [];
const be16s: Uint8Array[] = [];

// The makers are made once (an arrow function per call would be garbage per attribute).
const makeU8 = (v: number): Uint8Array => Uint8Array.of(v);
function makeU16(v: number): Uint8Array {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}
function makeU32(v: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}
function makeBe16(v: number): Uint8Array {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}
export const u8 = (n: number): Uint8Array => shared(u8s, n, makeU8);
export const u16 = (n: number): Uint8Array => shared(u16s, n, makeU16);
export const u32 = (n: number): Uint8Array => shared(u32s, n, makeU32);
export const be16 = (n: number): Uint8Array => shared(be16s, n, makeBe16);
export function cstring(s: string): Uint8Array {
  return Buffer.from(`${s}\0`, 'utf8');
}

const VIEW_TYPES = 16;
const EMPTY = Buffer.alloc(0);
const ZERO = 0n;

/**
 * Attributes read in place: offsets into the datagram instead of a Buffer per attribute.
 * Decoding a table of 100,000 real servers allocates a few objects per entry this way,
 * which matters where allocation is expensive (the garbage collector, page faults).
 */
export class AttrView {
  private bytes: Buffer = EMPTY;
  // Plain arrays: a typed array per view costs an off-heap allocation each.
  private readonly starts: number[] = new Array(VIEW_TYPES).fill(-1);
  private readonly lengths: number[] = new Array(VIEW_TYPES).fill(0);

  constructor(buf: Buffer = EMPTY, offset = 0, end = buf.length) {
    this.reset(buf, offset, end);
  }

  /**
   * Points this view at other attributes. Decoding loops keep a few views and reset them
   * per message rather than allocating new ones for each of 100,000 entries.
   */
  get buf(): Buffer {
    return this.bytes;
  }

  reset(buf: Buffer, offset = 0, end = buf.length): this {
    this.bytes = buf;
    this.starts.fill(-1);
    let at = offset;
    while (at + 4 <= end) {
      // Plain indexing: this loop runs for every attribute of every entry of a dump.
      const len = (buf[at] as number) | ((buf[at + 1] as number) << 8);
      const type = ((buf[at + 2] as number) | ((buf[at + 3] as number) << 8)) & NLA_TYPE_MASK;
      if (len < 4 || at + len > end) throw new RangeError(`malformed attribute at ${at} (length ${len})`);
      if (type < VIEW_TYPES) {
        this.starts[type] = at + 4;
        this.lengths[type] = len - 4;
      }
      at += align4(len);
    }
    return this;
  }

  private at(type: number, size: number): number {
    const start = this.starts[type] ?? -1;
    return start >= 0 && (this.lengths[type] ?? 0) >= size ? start : -1;
  }

  has(type: number): boolean {
    return (this.starts[type] ?? -1) >= 0;
  }
  u8(type: number): number | undefined {
    const at = this.at(type, 1);
    return at < 0 ? undefined : this.bytes.readUInt8(at);
  }
  u16(type: number): number | undefined {
    const at = this.at(type, 2);
    return at < 0 ? undefined : this.bytes.readUInt16LE(at);
  }
  u32(type: number): number | undefined {
    const at = this.at(type, 4);
    return at < 0 ? undefined : this.bytes.readUInt32LE(at);
  }
  be16(type: number): number | undefined {
    const at = this.at(type, 2);
    return at < 0 ? undefined : this.bytes.readUInt16BE(at);
  }
  be32(type: number): number | undefined {
    const at = this.at(type, 4);
    return at < 0 ? undefined : this.bytes.readUInt32BE(at);
  }
  u64(type: number): bigint | undefined {
    const at = this.at(type, 8);
    if (at < 0) return undefined;
    // Most counters fit 32 bits: one BigInt instead of readBigUInt64LE's four, and none for
    // zero (the counters of an idle table, of a standby node).
    const high = this.bytes.readUInt32LE(at + 4);
    if (high !== 0) return this.bytes.readBigUInt64LE(at);
    const low = this.bytes.readUInt32LE(at);
    return low === 0 ? ZERO : BigInt(low);
  }
  /** A u64 as a number (exact up to 2^53): for rates, without a BigInt on the way. */
  u64Number(type: number): number | undefined {
    const at = this.at(type, 8);
    if (at < 0) return undefined;
    const high = this.bytes.readUInt32LE(at + 4);
    // Without the multiplication when it is not needed: small integers stay unboxed.
    return high === 0 ? this.bytes.readUInt32LE(at) : high * 0x1_0000_0000 + this.bytes.readUInt32LE(at);
  }
  cstring(type: number): string | undefined {
    const at = this.at(type, 0);
    if (at < 0) return undefined;
    const end = at + (this.lengths[type] ?? 0);
    const nul = this.bytes.indexOf(0, at);
    return this.bytes.toString('utf8', at, nul === -1 || nul > end ? end : nul);
  }
  /** Where an attribute's payload starts and how long it is (for addresses), or undefined. */
  span(type: number): { offset: number; length: number } | undefined {
    const at = this.at(type, 0);
    return at < 0 ? undefined : { offset: at, length: this.lengths[type] ?? 0 };
  }
  /** Where an attribute's payload starts, or -1 when it is absent or shorter than `size`. */
  offsetOf(type: number, size = 0): number {
    return this.at(type, size);
  }
  nested(type: number): AttrView | undefined {
    return this.nestedInto(type, new AttrView());
  }
  /** Like nested(), into a view the caller reuses. */
  nestedInto(type: number, view: AttrView): AttrView | undefined {
    const at = this.at(type, 0);
    return at < 0 ? undefined : view.reset(this.bytes, at, at + (this.lengths[type] ?? 0));
  }
}
