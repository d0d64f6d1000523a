import { AF_INET, SOCK_CLOEXEC, SOCK_DGRAM } from '@sluice/linux';
import { errnoName, IpvsError } from '../errors.js';
import { FORWARDING_NAMES, ipv4Text } from '../kernel/codec.js';
import { FWD_MASK, IPPROTO } from '../kernel/constants.js';
import type { DestinationSettings, Service } from '../types.js';
import { type Libc, loadLibc } from './libc.js';

/**
 * The kernel's older IPVS interface, socket options on an IPv4 socket (what ipvsadm spoke
 * before generic netlink, and still can): one getsockopt(2) returns every real server of a
 * service, where generic netlink needs a dump of two rounds (a send and a read). For a read
 * of a whole table, one system call a service instead of two.
 *
 * It shows less than netlink: IPv4 services only, no real server of the other family, no
 * tunnel type, port or flags, no persistence engine, 32-bit counters. So it serves only
 * where it shows everything: the caller reads the rest through netlink (see
 * IpvsClient.listSettings()).
 *
 * Layouts from <linux/ip_vs.h> on 64-bit Linux (checked against the header with offsetof).
 */

const IPPROTO_IP = 0;
const IP_VS_BASE_CTL = 64 + 1024 + 64;
const IP_VS_SO_GET_SERVICES = IP_VS_BASE_CTL + 2;
const IP_VS_SO_GET_DESTS = IP_VS_BASE_CTL + 4;
const ESRCH = 3;

// struct ip_vs_get_services: num_services, then struct ip_vs_service_entry[] at 8.
const SERVICES_HEADER = 8;
const SERVICE_ENTRY = 104;
// struct ip_vs_service_entry
const SVC_PROTOCOL = 0;
const SVC_ADDR = 4;
const SVC_PORT = 8;
const SVC_FWMARK = 12;
const SVC_NUM_DESTS = 44;
// struct ip_vs_get_dests: protocol, addr, port, fwmark, num_dests, then entries at 24.
const DESTS_HEADER = 24;
const DESTS_NUM = 16;
const DEST_ENTRY = 96;
// struct ip_vs_dest_entry
const DEST_PORT = 4;
const DEST_CONN_FLAGS = 8;
const DEST_WEIGHT = 12;
const DEST_U_THRESHOLD = 16;
const DEST_L_THRESHOLD = 20;

/** Services this interface can answer for, by key: `tcp 192.0.2.1:80` or `fwm 7`. */
export function sockoptKey(service: Pick<Service, 'protocol' | 'address' | 'port' | 'fwmark'>): string {
  return service.fwmark !== undefined
    ? `fwm ${service.fwmark}`
    : `${service.protocol} ${service.address}:${service.port}`;
}

const PROTOCOL_NAMES = new Map<number, string>(Object.entries(IPPROTO).map(([name, n]) => [n, name]));

export class IpvsSockopt {
  private readonly lib: Libc;
  private fd: number;
  private buffer = Buffer.alloc(DESTS_HEADER + 32 * DEST_ENTRY);
  private readonly length: [number] = [0];

  private constructor(lib: Libc, fd: number) {
    this.lib = lib;
    this.fd = fd;
  }

  /** A socket in this process's namespace, or undefined when libc cannot be had here. */
  static open(): IpvsSockopt | undefined {
    const lib = loadLibc();
    if (lib instanceof Error) return undefined;
    const fd = lib.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    return fd < 0 ? undefined : new IpvsSockopt(lib, fd);
  }

  /**
   * How many real servers each IPv4 service has, by sockoptKey(). `expected` sizes the
   * request; a table that grew past it is read again, larger.
   */
  destinationCounts(expected: number): Map<string, number> {
    for (let room = expected + 16; ; room *= 2) {
      const size = SERVICES_HEADER + room * SERVICE_ENTRY;
      const buf = Buffer.alloc(size);
      buf.writeUInt32LE(room, 0);
      this.call(IP_VS_SO_GET_SERVICES, buf, size, 'list services');
      const counts = new Map<string, number>();
      let at = SERVICES_HEADER;
      for (let i = 0; i < room; i++, at += SERVICE_ENTRY) {
        const protocol = buf.readUInt16LE(at + SVC_PROTOCOL);
        const fwmark = buf.readUInt32LE(at + SVC_FWMARK);
        if (protocol === 0 && fwmark === 0) break; // past the last entry the kernel wrote
        const key =
          fwmark !== 0
            ? `fwm ${fwmark}`
            : `${PROTOCOL_NAMES.get(protocol) ?? protocol} ${ipv4Text(buf, at + SVC_ADDR)}:${buf.readUInt16BE(at + SVC_PORT)}`;
        counts.set(key, buf.readUInt32LE(at + SVC_NUM_DESTS));
      }
      if (counts.size < room) return counts;
    }
  }

  /**
   * The real servers of an IPv4 service that has `count` of them, or undefined when this
   * interface cannot show them all: some are of the other family, some tunnel (their
   * tunnel type is not shown), the service is gone, or the count changed meanwhile.
   */
  destinations(
    service: Pick<Service, 'protocol' | 'address' | 'port' | 'fwmark'>,
    count: number,
  ): DestinationSettings[] | undefined {
    // One entry more than expected: if the kernel fills it, real servers were added.
    const size = DESTS_HEADER + (count + 1) * DEST_ENTRY;
    if (this.buffer.length < size) this.buffer = Buffer.alloc(Math.max(size, this.buffer.length * 2));
    const buf = this.buffer;
    buf.fill(0, 0, size);
    if (service.fwmark !== undefined) buf.writeUInt32LE(service.fwmark, 12);
    else {
      if (!writeIpv4(buf, 4, service.address ?? '')) return undefined;
      buf.writeUInt16LE(IPPROTO[service.protocol ?? 'tcp'], 0);
      buf.writeUInt16BE(service.port ?? 0, 8);
    }
    buf.writeUInt32LE(count + 1, DESTS_NUM);
    if (!this.call(IP_VS_SO_GET_DESTS, buf, size, 'list destinations', ESRCH)) return undefined;
    const out: DestinationSettings[] = [];
    let at = DESTS_HEADER;
    for (let i = 0; i <= count; i++, at += DEST_ENTRY) {
      const flags = buf.readUInt32LE(at + DEST_CONN_FLAGS);
      const port = buf.readUInt16BE(at + DEST_PORT);
      if (buf.readUInt32LE(at) === 0 && port === 0 && flags === 0) break; // not written
      const forwarding = FORWARDING_NAMES.get(flags & FWD_MASK) ?? 'nat';
      if (forwarding === 'tun') return undefined;
      out.push({
        address: ipv4Text(buf, at),
        port,
        forwarding,
        weight: buf.readInt32LE(at + DEST_WEIGHT),
        upperThreshold: buf.readUInt32LE(at + DEST_U_THRESHOLD),
        lowerThreshold: buf.readUInt32LE(at + DEST_L_THRESHOLD),
        family: 4,
      });
    }
    return out.length === count ? out : undefined;
  }

  close(): void {
    if (this.fd >= 0) this.lib.close(this.fd);
    this.fd = -1;
  }

  /** One getsockopt(2); false for the errno the caller expects, an IpvsError otherwise. */
  private call(name: number, buf: Buffer, size: number, what: string, expected?: number): boolean {
    if (this.fd < 0) throw new IpvsError('IPVS_TRANSPORT', 'connection closed');
    this.length[0] = size;
    if (this.lib.getsockopt(this.fd, IPPROTO_IP, name, buf, this.length) === 0) return true;
    const errno = this.lib.errno();
    if (errno === expected) return false;
    throw new IpvsError(
      errno === 1 ? 'IPVS_PERMISSION' : 'IPVS_KERNEL_ERROR',
      `${what} through IPVS socket options failed: ${errnoName(errno)}`,
      { errno },
    );
  }
}

/**
 * Writes dotted-quad text as 4 bytes; false for anything else. The text comes from the
 * kernel's own listing, formatted by this package, so a plain scan does (no regular
 * expression and no array per service).
 */
function writeIpv4(buf: Buffer, at: number, text: string): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || value > 255 || part > 3) return false;
      buf[at + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      value = value * 10 + (c - 48);
      digits++;
    } else {
      return false;
    }
  }
  return part === 4;
}
