import { describe, expect, it } from 'vitest';
import { cstring, u32 } from '../src/netlink/attributes.js';
import {
  CTRL_ATTR_FAMILY_ID,
  CTRL_ATTR_FAMILY_NAME,
  CTRL_CMD_GETFAMILY,
  encodeGenl,
  errorCode,
  GENL_HDRLEN,
  GENL_ID_CTRL,
  type GenlRequest,
  genlSize,
  NETLINK_GENERIC,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLMSG_NOOP,
  type NlMessage,
  splitMessages,
  writeGenl,
} from '../src/netlink/message.js';
import { hex } from './fixtures/hex.js';
import { ack, done, genl, le32, nla, nlmsg } from './fixtures/kernel.js';

const hexOf = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);

describe('constants', () => {
  it('match <linux/netlink.h> and <linux/genetlink.h>', () => {
    expect([NLMSG_HDRLEN, NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE]).toEqual([16, 1, 2, 3]);
    expect([NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP]).toEqual([1, 2, 4, 0x100 | 0x200]);
    expect(NETLINK_GENERIC).toBe(16);
    expect([GENL_HDRLEN, GENL_ID_CTRL, CTRL_CMD_GETFAMILY]).toEqual([4, 0x10, 3]);
    expect([CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME]).toEqual([1, 2]);
  });
});

const request: GenlRequest = {
  family: 0x1c,
  cmd: 16,
  version: 1,
  flags: NLM_F_ACK,
  attrs: [{ type: 1, value: [{ type: 5, value: u32(100) }] }],
};

describe('encodeGenl', () => {
  it('writes nlmsghdr, genlmsghdr and attributes, always with NLM_F_REQUEST', () => {
    expect(genlSize(request)).toBe(32);
    expect(hexOf(encodeGenl(request, 0x01020304, 0x0a0b0c0d))).toBe(
      hex`
        20 00 00 00     // len 32
        1c 00           // type: the family id
        05 00           // NLM_F_REQUEST | NLM_F_ACK
        04 03 02 01     // seq, little-endian
        0d 0c 0b 0a     // pid, little-endian
        10 01 00 00     // cmd 16, version 1, reserved 0
        0c 00 01 80 08 00 05 00 64 00 00 00
      `.toString('hex'),
    );
  });

  it('writes sequence numbers and ports above 2^31 as unsigned', () => {
    const buf = encodeGenl({ ...request, attrs: [] }, 0xfffffffe, 0x80000001);
    expect(buf.readUInt32LE(8)).toBe(0xfffffffe);
    expect(buf.readUInt32LE(12)).toBe(0x80000001);
  });

  it('counts attribute padding in the message length', () => {
    const req: GenlRequest = { ...request, attrs: [{ type: 2, value: cstring('IPVS') }] };
    expect(genlSize(req)).toBe(16 + 4 + 12);
    expect(encodeGenl(req, 1).readUInt32LE(0)).toBe(32);
  });

  it('defaults the port to 0 and keeps dump flags', () => {
    const buf = encodeGenl({ ...request, flags: NLM_F_DUMP, attrs: [] }, 7);
    expect(buf.readUInt16LE(6)).toBe(0x301);
    expect(buf.readUInt32LE(12)).toBe(0);
    expect(buf.length).toBe(20);
  });

  it('writeGenl puts messages back to back and returns the next offset', () => {
    const a: GenlRequest = { ...request, attrs: [] };
    const buf = Buffer.alloc(genlSize(a) + genlSize(request));
    const mid = writeGenl(buf, 0, a, 1, 9);
    expect(mid).toBe(20);
    expect(writeGenl(buf, mid, request, 2, 9)).toBe(52);
    const [m1, m2] = splitMessages(buf);
    expect(m1).toMatchObject({ type: 0x1c, seq: 1, port: 9 });
    expect(m2).toMatchObject({ type: 0x1c, seq: 2, port: 9 });
    expect(hexOf(m2?.payload)).toBe('100100000c0001800800050064000000');
  });
});

describe('splitMessages', () => {
  it('splits a datagram of several messages, payload after the 16-byte header', () => {
    const datagram = Buffer.concat([
      genl(0x1c, 1, NLM_F_MULTI, 5, 77, nla(1, le32(1))),
      genl(0x1c, 1, NLM_F_MULTI, 5, 77, nla(1, le32(2))),
      done(5, 77),
    ]);
    const messages = splitMessages(datagram);
    expect(messages.map((m) => [m.type, m.flags, m.seq, m.port])).toEqual([
      [0x1c, NLM_F_MULTI, 5, 77],
      [0x1c, NLM_F_MULTI, 5, 77],
      [NLMSG_DONE, NLM_F_MULTI, 5, 77],
    ]);
    expect(hexOf(messages[1]?.payload)).toBe('010100000800010002000000');
  });

  it('skips the alignment padding after a message whose length is not a multiple of 4', () => {
    // 17-byte message (1 byte of payload) padded to 20, then an ack.
    const odd = nlmsg(0x1c, 0, 1, 0, Buffer.from([0xee]));
    expect(odd.readUInt32LE(0)).toBe(17);
    expect(odd.length).toBe(20);
    const messages = splitMessages(Buffer.concat([odd, ack(2, 0)]));
    expect(messages).toHaveLength(2);
    expect(hexOf(messages[0]?.payload)).toBe('ee');
    expect(messages[1]).toMatchObject({ type: NLMSG_ERROR, seq: 2 });
  });

  it('ignores a tail shorter than a header and rejects impossible lengths', () => {
    expect(splitMessages(Buffer.alloc(15))).toEqual([]);
    const short = ack(1, 0);
    short.writeUInt32LE(8, 0);
    expect(() => splitMessages(short)).toThrow(RangeError);
    const long = ack(1, 0);
    long.writeUInt32LE(long.length + 4, 0);
    expect(() => splitMessages(long)).toThrow(RangeError);
  });
});

describe('errorCode', () => {
  it('reads the errno of NLMSG_ERROR (0 = ack) and NLMSG_DONE', () => {
    const [a] = splitMessages(ack(1, 0));
    const [e] = splitMessages(ack(1, 0, 17));
    const [d] = splitMessages(done(1, 0));
    const [de] = splitMessages(done(1, 0, 4));
    // Compared with === (an ack reads as -0, which is 0 to every caller).
    expect([a, e, d, de].map((m) => errorCode(m as NlMessage) === 0)).toEqual([true, false, true, false]);
    expect([e, de].map((m) => errorCode(m as NlMessage))).toEqual([17, 4]);
  });

  it('treats a payload too short for an int as success (old kernels sent empty NLMSG_DONE)', () => {
    const [m] = splitMessages(nlmsg(NLMSG_DONE, NLM_F_MULTI, 1, 0, Buffer.alloc(0)));
    expect(errorCode(m as NlMessage) === 0).toBe(true);
  });
});
