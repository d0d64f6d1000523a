import { type AddressControl, type Cidr, parseCidr } from './addresses.js';
import { HeartbeatError } from './errors.js';
import type { FrameSender } from './frame-sender.js';
import { IFNAME } from './frame-sender.js';
import { gratuitousArp, unsolicitedNeighbourAdvertisement } from './frames.js';
import type { AnnounceReason, Resource } from './resources.js';

export interface FloatingIpConfig {
  /** `address/prefix`, IPv4 or IPv6. */
  address: string;
  /** The interface that carries it. */
  interface: string;
}

/**
 * A floating address: added on acquire, announced with a gratuitous ARP (IPv4) or an
 * unsolicited neighbour advertisement (IPv6), removed on release.
 */
export class FloatingIp implements Resource {
  readonly name: string;
  readonly cidr: Cidr;
  readonly ifname: string;
  private readonly addresses: AddressControl;
  private readonly sender: FrameSender;

  constructor(
    config: FloatingIpConfig,
    deps: { addresses: AddressControl; sender: FrameSender },
    field = 'floatingIps[0]',
  ) {
    this.cidr = parseCidr(config?.address, `${field}.address`);
    if (typeof config.interface !== 'string' || !IFNAME.test(config.interface)) {
      throw new HeartbeatError('HEARTBEAT_INVALID_CONFIG', `${field}.interface: not an interface name`, {
        field: `${field}.interface`,
      });
    }
    this.ifname = config.interface;
    this.name = `ip ${this.cidr.address}/${this.cidr.prefix} on ${this.ifname}`;
    this.addresses = deps.addresses;
    this.sender = deps.sender;
  }

  async acquire(): Promise<void> {
    await this.addresses.add(this.ifname, this.cidr);
  }

  async release(): Promise<void> {
    await this.addresses.remove(this.ifname, this.cidr);
  }

  async announce(_reason: AnnounceReason): Promise<void> {
    const { mac } = await this.addresses.interfaceInfo(this.ifname);
    const frame =
      this.cidr.family === 4
        ? gratuitousArp(mac, this.cidr.address)
        : unsolicitedNeighbourAdvertisement(mac, this.cidr.address);
    await this.sender.send(this.ifname, frame);
  }
}
