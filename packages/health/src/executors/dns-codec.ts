import { formatAddress } from '@sluice/linux';
import type { DnsRecordType } from '../checks.js';

export const DNS_TYPE_CODES: Record<DnsRecordType, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
};
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export class DnsFormatError extends Error {
  override readonly name = 'DnsFormatError';
}

/** A standard query with recursion desired, class IN. */
export function encodeQuery(id: number, name: string, type: DnsRecordType): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  parts.push(header);
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(DNS_TYPE_CODES[type], 1);
  tail.writeUInt16BE(1, 3);
  parts.push(tail);
  return Buffer.concat(parts);
}

export interface DnsAnswer {
  type: number;
  /** Presentation form: address, name (no trailing dot), joined TXT strings, `pref name` for MX. */
  data: string;
}

export interface DnsResponse {
  id: number;
  rcode: string;
  answers: DnsAnswer[];
}

function readName(msg: Buffer, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let offset = start;
  let next = -1;
  for (let hops = 0; hops < 64; hops++) {
    if (offset >= msg.length) throw new DnsFormatError('name runs past the message');
    const len = msg[offset] as number;
    if (len === 0) {
      return { name: labels.join('.'), next: next < 0 ? offset + 1 : next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (offset + 1 >= msg.length) throw new DnsFormatError('truncated pointer');
      if (next < 0) next = offset + 2;
      offset = ((len & 0x3f) << 8) | (msg[offset + 1] as number);
      continue;
    }
    if (len > 63 || offset + 1 + len > msg.length) throw new DnsFormatError('bad label');
    labels.push(msg.toString('latin1', offset + 1, offset + 1 + len));
    offset += 1 + len;
  }
  throw new DnsFormatError('name compression loop');
}

/**
 * Canonical IPv6 text (RFC 5952): lower case, longest zero run compressed; IPv4-mapped
 * addresses in hex groups, the form `expect` is brought to (dns.ts) before they compare.
 */
export function formatIpv6(bytes: Buffer): string {
  return formatAddress(bytes, 6, 0, { mappedAsHex: true });
}

export function decodeResponse(msg: Buffer): DnsResponse {
  if (msg.length < 12) throw new DnsFormatError('shorter than a header');
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if ((flags & 0x8000) === 0) throw new DnsFormatError('not a response');
  const rcode = RCODES[flags & 0x0f] ?? `RCODE${flags & 0x0f}`;
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  let offset = 12;
  for (let i = 0; i < qd; i++) offset = readName(msg, offset).next + 4;
  const answers: DnsAnswer[] = [];
  for (let i = 0; i < an; i++) {
    const { next } = readName(msg, offset);
    if (next + 10 > msg.length) throw new DnsFormatError('truncated record');
    const type = msg.readUInt16BE(next);
    const length = msg.readUInt16BE(next + 8);
    const rdata = next + 10;
    if (rdata + length > msg.length) throw new DnsFormatError('truncated rdata');
    let data: string;
    if (type === 1 && length === 4) data = [...msg.subarray(rdata, rdata + 4)].join('.');
    else if (type === 28 && length === 16) data = formatIpv6(msg.subarray(rdata, rdata + 16));
    else if (type === 2 || type === 5 || type === 6) data = readName(msg, rdata).name;
    else if (type === 15) data = `${msg.readUInt16BE(rdata)} ${readName(msg, rdata + 2).name}`;
    else if (type === 16) {
      const strings: string[] = [];
      for (let p = rdata; p < rdata + length; ) {
        const n = msg[p] as number;
        strings.push(msg.toString('utf8', p + 1, p + 1 + n));
        p += 1 + n;
      }
      data = strings.join('');
    } else data = msg.subarray(rdata, rdata + length).toString('hex');
    answers.push({ type, data });
    offset = rdata + length;
  }
  return { id, rcode, answers };
}
