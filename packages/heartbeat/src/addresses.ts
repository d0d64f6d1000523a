import { isIPv4, isIPv6 } from 'node:net';
import { AF_INET, AF_INET6 } from '@sluice/linux';
import { NETLINK_REQUEST_TIMEOUT_MS, netlinkErrno, singleFlight } from '@sluice/linux/netlink';
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

// The netlink package's gaps (no timeout, errno only in the message, one dump at a time)
// are worked around in @sluice/linux's netlink.ts.
const REQUEST_TIMEOUT_MS = NETLINK_REQUEST_TIMEOUT_MS;
const errnoOf = netlinkErrno;

/** How long one dump of the interfaces answers for them (a takeover adds many addresses at once). */
const LINKS_TTL_MS = 1000;

/** `AddressControl` over rtnetlink, in the namespace of the calling process. */
export class RtnetlinkAddresses implements AddressControl {
  private socket: RtNetlinkSocket | undefined;
  /**
   * The last dump of the interfaces: adding an address and announcing it each need the
   * interface's index and MAC, and a dump per address costs hundreds of them a second
   * when a node takes many VIPs. An index gone stale (the interface recreated) is
   * noticed by the kernel's refusal, and the dump is taken again.
   */
  private links: { at: number; byName: Map<string, InterfaceInfo> } | undefined;
  /**
   * The dump in flight, shared: concurrent callers (addresses added together) must not
   * start dumps of their own, as the netlink socket cannot tell two dumps' replies apart.
   */
  private readonly dumpOnce = singleFlight(() => this.dumpLinks());
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  private rt(): RtNetlinkSocket {
    this.socket ??= createRtNetlink();
    return this.socket;
  }

  async interfaceInfo(ifname: string): Promise<InterfaceInfo> {
    const known = this.links;
    const cached = known !== undefined && this.now() - known.at < LINKS_TTL_MS ? known.byName.get(ifname) : undefined;
    if (cached !== undefined) return cached;
    const info = (await this.dumpOnce()).get(ifname);
    if (info === undefined) {
      throw new HeartbeatError('HEARTBEAT_ADDRESS_FAILED', `no interface ${ifname}`, { field: 'interface' });
    }
    return info;
  }

  private async dumpLinks(): Promise<Map<string, InterfaceInfo>> {
    let links: Awaited<ReturnType<RtNetlinkSocket['getLinks']>>;
    try {
      links = await this.rt().getLinks(undefined, undefined, { timeout: REQUEST_TIMEOUT_MS });
    } catch (error) {
      this.links = undefined;
      throw new HeartbeatError('HEARTBEAT_ADDRESS_FAILED', `listing interfaces failed: ${String(error)}`, {
        cause: error,
      });
    }
    const byName = new Map<string, InterfaceInfo>();
    for (const l of links) {
      if (l.attrs.ifname !== undefined && l.data.index !== undefined) {
        byName.set(l.attrs.ifname, { index: l.data.index, mac: l.attrs.address ?? Buffer.alloc(6) });
      }
    }
    this.links = { at: this.now(), byName };
    return byName;
  }

  /** Runs `request` with the interface's index; once more with a fresh dump if the index was stale. */
  private async withIndex<T>(ifname: string, request: (index: number) => Promise<T>): Promise<T> {
    const fromCache = this.links !== undefined && this.now() - this.links.at < LINKS_TTL_MS;
    const { index } = await this.interfaceInfo(ifname);
    try {
      return await request(index);
    } catch (error) {
      if (!fromCache || errnoOf(error) !== 'ENODEV') throw error;
      this.links = undefined;
      return request((await this.interfaceInfo(ifname)).index);
    }
  }

  async add(ifname: string, cidr: Cidr): Promise<'added' | 'present'> {
    const bytes = cidr.family === 4 ? ipv4Bytes(cidr.address) : ipv6Bytes(cidr.address);
    try {
      await this.withIndex(ifname, (index) =>
        this.rt().newAddress(
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
        ),
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
    const bytes = cidr.family === 4 ? ipv4Bytes(cidr.address) : ipv6Bytes(cidr.address);
    try {
      await this.withIndex(ifname, (index) =>
        this.rt().delAddress(
          { family: cidr.family === 4 ? AF_INET : AF_INET6, prefixlen: cidr.prefix, index },
          { local: bytes, address: bytes },
          { timeout: REQUEST_TIMEOUT_MS },
        ),
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
    this.links = undefined;
  }
}
