import { isIPv6 } from 'node:net';
import { parseAddress, parseIPv6 } from '@sluice/linux';
import { HeartbeatError } from './errors.js';

/**
 * The Ethernet frames that tell a segment where a floating address now lives. Built here,
 * byte by byte, so they are tested with golden bytes; sent by a `FrameSender`.
 */

export function parseMac(mac: Buffer | string): Buffer {
  const bytes = typeof mac === 'string' ? Buffer.from(mac.replaceAll(':', ''), 'hex') : mac;
  if (bytes.length !== 6) {
    throw new HeartbeatError('HEARTBEAT_ANNOUNCE_FAILED', `not a MAC address: ${String(mac)}`, { field: 'mac' });
  }
  return bytes;
}

export function ipv4Bytes(address: string): Buffer {
  const bytes = parseAddress(address);
  if (bytes?.length !== 4) throw new HeartbeatError('HEARTBEAT_INVALID_CONFIG', `not an IPv4 address: ${address}`);
  return bytes;
}

export function ipv6Bytes(address: string): Buffer {
  // A zone id (fe80::1%eth0) is no part of the address bytes: it names an interface, which
  // the caller gives anyway. The configuration may carry one (Node's isIPv6 takes it).
  const bytes = isIPv6(address) ? parseIPv6(address.split('%')[0] as string) : undefined;
  if (bytes === undefined) {
    throw new HeartbeatError('HEARTBEAT_INVALID_CONFIG', `not an IPv6 address: ${address}`);
  }
  return bytes;
}

/**
 * Gratuitous ARP (RFC 5227 "ARP announcement"): a broadcast request whose sender and
 * target protocol addresses are both the floating address. Linux updates an existing
 * neighbour entry from it (and with arp_accept, creates one).
 */
export function gratuitousArp(mac: Buffer, address: string): Buffer {
  const ip = ipv4Bytes(address);
  const frame = Buffer.alloc(60); // minimum Ethernet frame, zero padding
  frame.fill(0xff, 0, 6);
  mac.copy(frame, 6);
  frame.writeUInt16BE(0x0806, 12);
  frame.writeUInt16BE(1, 14); // hardware: Ethernet
  frame.writeUInt16BE(0x0800, 16); // protocol: IPv4
  frame[18] = 6;
  frame[19] = 4;
  frame.writeUInt16BE(1, 20); // request
  mac.copy(frame, 22);
  ip.copy(frame, 28);
  // target hardware address stays zero
  ip.copy(frame, 38);
  return frame;
}

const ALL_NODES = ipv6Bytes('ff02::1');

/**
 * Unsolicited neighbour advertisement (RFC 4861 7.2.6): to all-nodes, override flag set,
 * solicited flag clear, with the target link-layer address option, hop limit 255.
 */
export function unsolicitedNeighbourAdvertisement(mac: Buffer, address: string): Buffer {
  const src = ipv6Bytes(address);
  const icmp = Buffer.alloc(32);
  icmp[0] = 136; // neighbour advertisement
  icmp[1] = 0;
  icmp.writeUInt32BE(0x20000000, 4); // O (override)
  src.copy(icmp, 8);
  icmp[24] = 2; // option: target link-layer address
  icmp[25] = 1; // length in units of 8 bytes
  mac.copy(icmp, 26);
  icmp.writeUInt16BE(icmpv6Checksum(src, ALL_NODES, icmp), 2);
  const frame = Buffer.alloc(14 + 40 + icmp.length);
  Buffer.from([0x33, 0x33, 0, 0, 0, 1]).copy(frame, 0);
  mac.copy(frame, 6);
  frame.writeUInt16BE(0x86dd, 12);
  frame.writeUInt32BE(0x60000000, 14); // version 6
  frame.writeUInt16BE(icmp.length, 18);
  frame[20] = 58; // next header: ICMPv6
  frame[21] = 255; // hop limit: receivers drop ND packets with any other value
  src.copy(frame, 22);
  ALL_NODES.copy(frame, 38);
  icmp.copy(frame, 54);
  return frame;
}

function icmpv6Checksum(src: Buffer, dst: Buffer, message: Buffer): number {
  const pseudo = Buffer.alloc(40);
  src.copy(pseudo, 0);
  dst.copy(pseudo, 16);
  pseudo.writeUInt32BE(message.length, 32);
  pseudo[39] = 58;
  const data = Buffer.concat([pseudo, message, message.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum += data.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
