import { createSocket, type Socket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';
import { HeartbeatError } from './errors.js';
import { IFNAME } from './frame-sender.js';
import type { Link } from './link.js';

/**
 * A UDP heartbeat link.
 * - `unicast`: to the peer's address; IPv4 or IPv6.
 * - `broadcast`: to an IPv4 broadcast address (bound to the wildcard address, since
 *   broadcasts are delivered only to sockets bound there: use one port per broadcast link).
 * - `multicast`: to a group (IPv4 or IPv6), joined on the interface of `local`
 *   (IPv4) or `interface` (IPv6), hop limit 1, our own copies not looped back.
 */
export type UdpLinkConfig =
  | { name?: string; type: 'unicast'; local?: string; peer: string; port?: number; peerPort?: number }
  | { name?: string; type: 'broadcast'; broadcast: string; port?: number }
  | { name?: string; type: 'multicast'; group: string; local?: string; interface?: string; port?: number };

/** The port heartbeat (Linux-HA) registered with IANA; ours speaks another protocol on it. */
export const DEFAULT_PORT = 694;

function invalid(field: string, message: string): HeartbeatError {
  return new HeartbeatError('HEARTBEAT_INVALID_CONFIG', `${field}: ${message}`, { field });
}

function address(field: string, value: unknown, family?: 4 | 6): string {
  if (typeof value !== 'string' || !(isIPv4(value) || isIPv6(value))) throw invalid(field, 'must be an IP address');
  if (family === 4 && !isIPv4(value)) throw invalid(field, 'must be an IPv4 address');
  if (family === 6 && !isIPv6(value)) throw invalid(field, 'must be an IPv6 address');
  return value;
}

interface Plan {
  name: string;
  family: 4 | 6;
  bind: string;
  port: number;
  to: string;
  toPort: number;
  setup(socket: Socket): void;
}

function plan(config: UdpLinkConfig, field: string): Plan {
  if (typeof config !== 'object' || config === null) throw invalid(field, 'must be an object');
  const port = config.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`${field}.port`, 'must be 1-65535');
  switch (config.type) {
    case 'unicast': {
      const peer = address(`${field}.peer`, config.peer);
      const family = isIPv4(peer) ? 4 : 6;
      const local = config.local === undefined ? undefined : address(`${field}.local`, config.local, family);
      const toPort = config.peerPort ?? port;
      if (!Number.isInteger(toPort) || toPort < 1 || toPort > 65535) {
        throw invalid(`${field}.peerPort`, 'must be 1-65535');
      }
      return {
        name: config.name ?? `udp ${peer}`,
        family,
        bind: local ?? (family === 4 ? '0.0.0.0' : '::'),
        port,
        to: peer,
        toPort,
        setup: () => {},
      };
    }
    case 'broadcast': {
      const to = address(`${field}.broadcast`, config.broadcast, 4);
      return {
        name: config.name ?? `broadcast ${to}`,
        family: 4,
        bind: '0.0.0.0',
        port,
        to,
        toPort: port,
        setup: (socket) => socket.setBroadcast(true),
      };
    }
    case 'multicast': {
      const group = address(`${field}.group`, config.group);
      const family = isIPv4(group) ? 4 : 6;
      let iface: string | undefined;
      if (family === 4) {
        iface = config.local === undefined ? undefined : address(`${field}.local`, config.local, 4);
      } else {
        if (typeof config.interface !== 'string' || !IFNAME.test(config.interface)) {
          throw invalid(`${field}.interface`, 'an IPv6 multicast link needs its interface name');
        }
        iface = `::%${config.interface}`;
      }
      return {
        name: config.name ?? `multicast ${group}`,
        family,
        bind: family === 4 ? '0.0.0.0' : '::',
        port,
        to: group,
        toPort: port,
        setup: (socket) => {
          socket.addMembership(group, iface);
          if (iface) socket.setMulticastInterface(iface);
          socket.setMulticastTTL(1);
          socket.setMulticastLoopback(false);
        },
      };
    }
    default:
      throw invalid(`${field}.type`, 'must be "unicast", "broadcast" or "multicast"');
  }
}

/** Whether two sockets' bind addresses overlap: the same one, or either a wildcard (`::` takes IPv4 too). */
function overlaps(a: Plan, b: Plan): boolean {
  const wild = (p: Plan) => p.bind === '0.0.0.0' || p.bind === '::';
  if (a.bind === b.bind) return true;
  if (a.bind === '::' || b.bind === '::') return true;
  return a.family === b.family && (wild(a) || wild(b));
}

/**
 * Refuses, before any socket opens, links that would take the same port on overlapping
 * addresses (a broadcast link binds the wildcard address, so a unicast link on its port
 * would fail with EADDRINUSE at start): the error names the later link's port.
 */
export function checkLinkPorts(configs: readonly UdpLinkConfig[], field = 'links'): void {
  const plans = configs.map((config, i) => plan(config, `${field}[${i}]`));
  for (let j = 1; j < plans.length; j++) {
    const later = plans[j] as Plan;
    for (let i = 0; i < j; i++) {
      const earlier = plans[i] as Plan;
      if (earlier.port !== later.port || !overlaps(earlier, later)) continue;
      throw invalid(
        `${field}[${j}].port`,
        `port ${later.port} is taken by ${field}[${i}] (${earlier.name}, bound to ${earlier.bind}); give each link its own port`,
      );
    }
  }
}

export class UdpLink implements Link {
  readonly name: string;
  private readonly socket: Socket;
  private readonly to: string;
  private readonly port: number;
  private handler: ((datagram: Buffer) => void) | undefined;
  private closed = false;

  private constructor(name: string, socket: Socket, to: string, port: number) {
    this.name = name;
    this.socket = socket;
    this.to = to;
    this.port = port;
    socket.on('message', (datagram) => this.handler?.(datagram));
  }

  /** Validates the configuration, binds the socket and joins the group. */
  static async open(config: UdpLinkConfig, field = 'links[0]'): Promise<UdpLink> {
    const p = plan(config, field);
    const socket = createSocket({ type: p.family === 4 ? 'udp4' : 'udp6', reuseAddr: config.type !== 'unicast' });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: p.bind, port: p.port, exclusive: true }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      p.setup(socket);
    } catch (error) {
      socket.close();
      throw new HeartbeatError(
        'HEARTBEAT_LINK_FAILED',
        `${field}: opening ${p.name} on port ${p.port} failed: ${String(error)}`,
        {
          field,
          cause: error,
        },
      );
    }
    // After start-up, socket errors (ICMP unreachable, ENETUNREACH) are just lost heartbeats.
    socket.on('error', () => {});
    return new UdpLink(p.name, socket, p.to, p.toPort);
  }

  send(datagram: Buffer): void {
    if (this.closed) return;
    this.socket.send(datagram, this.port, this.to, () => {});
  }

  onReceive(handler: (datagram: Buffer) => void): void {
    this.handler = handler;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
