import { type Attr, attrSize, writeAttrs } from './attributes.js';

// <linux/netlink.h>
export const NLMSG_HDRLEN = 16;
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
export const NETLINK_GENERIC = 16;
// <linux/genetlink.h>
export const GENL_HDRLEN = 4;
export const GENL_ID_CTRL = 0x10;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;

/** A generic netlink request before its sequence number and port are known. */
export interface GenlRequest {
  family: number;
  cmd: number;
  version: number;
  flags: number;
  attrs: readonly Attr[];
}

export function genlSize(req: GenlRequest): number {
  let size = NLMSG_HDRLEN + GENL_HDRLEN;
  for (const a of req.attrs) size += attrSize(a);
  return size;
}

/** Encodes one request into `buf` at `offset` (room: genlSize); returns the offset after it. */
export function writeGenl(buf: Buffer, offset: number, req: GenlRequest, seq: number, port: number): number {
  buf.writeUInt16LE(req.family, offset + 4);
  buf.writeUInt16LE(req.flags | NLM_F_REQUEST, offset + 6);
  buf.writeUInt32LE(seq >>> 0, offset + 8);
  buf.writeUInt32LE(port >>> 0, offset + 12);
  buf.writeUInt8(req.cmd, offset + 16);
  buf.writeUInt8(req.version, offset + 17);
  buf.writeUInt16LE(0, offset + 18);
  const end = writeAttrs(buf, offset + NLMSG_HDRLEN + GENL_HDRLEN, req.attrs);
  buf.writeUInt32LE(end - offset, offset);
  return end;
}

export function encodeGenl(req: GenlRequest, seq: number, port = 0): Buffer {
  const buf = Buffer.alloc(genlSize(req));
  writeGenl(buf, 0, req, seq, port);
  return buf;
}

/** One message as received: header fields and the payload after the netlink header. */
export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  port: number;
  payload: Buffer;
}

export function splitMessages(buf: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  let at = 0;
  while (at + NLMSG_HDRLEN <= buf.length) {
    const len = buf.readUInt32LE(at);
    if (len < NLMSG_HDRLEN || at + len > buf.length)
      throw new RangeError(`malformed netlink message at ${at} (length ${len})`);
    out.push({
      type: buf.readUInt16LE(at + 4),
      flags: buf.readUInt16LE(at + 6),
      seq: buf.readUInt32LE(at + 8),
      port: buf.readUInt32LE(at + 12),
      payload: buf.subarray(at + NLMSG_HDRLEN, at + len),
    });
    at += (len + 3) & ~3;
  }
  return out;
}

/** The errno of an NLMSG_ERROR (0 is an acknowledgement), or of an NLMSG_DONE. */
export const errorCode = (msg: NlMessage): number => (msg.payload.length >= 4 ? -msg.payload.readInt32LE(0) : 0);
