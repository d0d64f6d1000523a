import { isIPv4, isIPv6 } from 'node:net';
import { createRtNetlink, FlagsNew, type RtNetlinkSocket } from 'netlink';
import { HeartbeatError } from './errors.js';
import { ipv4Bytes, ipv6Bytes } from './frames.js';

export interface Cidr {
  address: string;
  prefix: number;
  family: 4 | 6;
}

/** Parses `address/prefix` (IPv4 or IPv6); `field` names the input for the error. */
export function parseCidr(text: unknown, field: string): Cidr {
  const [address = '', prefixText, ...rest] = typeof text === 'string' ? text.split('/') : [];
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : undefined;
  const prefix = Number(prefixText);
  if (
    family === undefined ||
    rest.length > 0 ||
    !/^\d{1,3}$/.test(prefixText ?? '') ||
    prefix > (family === 4 ? 32 : 128)
  ) {
    throw new HeartbeatError(
      'HEARTBEAT_INVALID_CONFIG',
      `${field}: expected address/prefix, got ${JSON.stringify(text)}`,
      {
        field,
      },
    );
  }
  return { address, prefix, family };
}

export interface InterfaceInfo {
  index: number;
  mac: Buffer;
}

/** The kernel's addresses, behind an interface so the floating-IP logic can be tested without one. */
export interface AddressControl {
  interfaceInfo(ifname: string): Promise<InterfaceInfo>;
  /** Adds the address; `present` if it was already there. */
  add(ifname: string, cidr: Cidr): Promise<'added' | 'present'>;
  /** Removes the address; `absent` if it was not there. */
  remove(ifname: string, cidr: Cidr): Promise<'removed' | 'absent'>;
  close(): void;
}

const AF_INET = 2;
const AF_INET6 = 10;
// netlink 0.3.0 has no default timeout: a request the kernel never answers would hang a failover.
const REQUEST_TIMEOUT_MS = 2000;

/** The errno name from netlink 0.3.0's errors, which carry it only in the message ("Request rejected: EEXIST"). */
function errnoOf(error: unknown): string | undefined {
  const match = error instanceof Error ? /Request rejected: (E[A-Z0-9]+)/.exec(error.message) : null;
  return match?.[1];
}

/** `AddressControl` over rtnetlink, in the namespace of the calling process. */
export class RtnetlinkAddresses implements AddressControl {
  private socket: RtNetlinkSocket | undefined;

  private rt(): RtNetlinkSocket {
    this.socket ??= createRtNetlink();
    return this.socket;
  }

  async interfaceInfo(ifname: string): Promise<InterfaceInfo> {
    let links: Awaited<ReturnType<RtNetlinkSocket['getLinks']>>;
    try {
      links = await this.rt().getLinks(undefined, undefined, { timeout: REQUEST_TIMEOUT_MS });
    } catch (error) {
      throw new HeartbeatError('HEARTBEAT_ADDRESS_FAILED', `listing interfaces failed: ${String(error)}`, {
        cause: error,
      });
    }
    const link = links.find((l) => l.attrs.ifname === ifname);
    if (!link || link.data.index === undefined) {
      throw new HeartbeatError('HEARTBEAT_ADDRESS_FAILED', `no interface ${ifname}`, { field: 'interface' });
    }
    return { index: link.data.index, mac: link.attrs.address ?? Buffer.alloc(6) };
  }

  async add(ifname: string, cidr: Cidr): Promise<'added' | 'present'> {
    const { index } = await this.interfaceInfo(ifname);
    const bytes = cidr.family === 4 ? ipv4Bytes(cidr.address) : ipv6Bytes(cidr.address);
    try {
      await this.rt().newAddress(
        // No DAD for IPv6: the address must answer at once, and during a split brain the
        // peer may still hold it, which DAD would turn into a dead address.
        {
          family: cidr.family === 4 ? AF_INET : AF_INET6,
          prefixlen: cidr.prefix,
          index,
          ...(cidr.family === 6 ? { flags: { nodad: true } } : {}),
        },
        { local: bytes, address: bytes, ...(cidr.family === 6 ? { flags: { nodad: true } } : {}) },
        { flags: FlagsNew.CREATE | FlagsNew.EXCL, timeout: REQUEST_TIMEOUT_MS },
      );
      return 'added';
    } catch (error) {
      if (errnoOf(error) === 'EEXIST') return 'present';
      throw new HeartbeatError(
        'HEARTBEAT_ADDRESS_FAILED',
        `adding ${cidr.address}/${cidr.prefix} to ${ifname} failed: ${String(error)}`,
        {
          field: 'address',
          cause: error,
        },
      );
    }
  }

  async remove(ifname: string, cidr: Cidr): Promise<'removed' | 'absent'> {
    const { index } = await this.interfaceInfo(ifname);
    const bytes = cidr.family === 4 ? ipv4Bytes(cidr.address) : ipv6Bytes(cidr.address);
    try {
      await this.rt().delAddress(
        { family: cidr.family === 4 ? AF_INET : AF_INET6, prefixlen: cidr.prefix, index },
        { local: bytes, address: bytes },
        { timeout: REQUEST_TIMEOUT_MS },
      );
      return 'removed';
    } catch (error) {
      if (errnoOf(error) === 'EADDRNOTAVAIL') return 'absent';
      throw new HeartbeatError(
        'HEARTBEAT_ADDRESS_FAILED',
        `removing ${cidr.address}/${cidr.prefix} from ${ifname} failed: ${String(error)}`,
        {
          field: 'address',
          cause: error,
        },
      );
    }
  }

  close(): void {
    this.socket?.socket.close();
    this.socket = undefined;
  }
}
