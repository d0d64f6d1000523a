export type Protocol = 'tcp' | 'udp' | 'sctp';
export type Family = 4 | 6;

/** Every scheduler the kernel can offer (which ones this kernel has: `capabilities()`). */
export const SCHEDULERS = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'fo',
  'ovf',
  'mh',
  'twos',
] as const;
export type Scheduler = (typeof SCHEDULERS)[number];

/** A virtual service is keyed by protocol, address and port, or by firewall mark. */
export type ServiceKey =
  | { protocol: Protocol; address: string; port: number; fwmark?: undefined }
  | { fwmark: number; family: Family; protocol?: undefined; address?: undefined; port?: undefined };

export interface Persistence {
  /** Seconds a client sticks to its real server after its last connection (ipvsadm -p). */
  timeout: number;
  /** Prefix length grouping clients that stick together (ipvsadm -M): /24 keeps a whole IPv4 /24 on one server. */
  netmask?: number;
}

/**
 * Scheduler flags: for sh and mh, `fallback` (sh-fallback, mh-fallback: skip an
 * unavailable server) and `port` (sh-port, mh-port: hash the source port too). Other
 * schedulers ignore them. `flag3` is the kernel's third scheduler flag, unused today.
 */
export interface SchedulerFlags {
  fallback?: boolean;
  port?: boolean;
  flag3?: boolean;
}

export type ServiceSpec = ServiceKey & {
  /** Default `wlc`, as ipvsadm. */
  scheduler?: Scheduler;
  schedulerFlags?: SchedulerFlags;
  persistence?: Persistence;
  /** Schedule each UDP datagram on its own (ipvsadm -o). */
  onePacket?: boolean;
  /** Persistence engine, e.g. `sip` (ipvsadm --pe). */
  persistenceEngine?: string;
};

export type Forwarding = 'nat' | 'dr' | 'tun';

export interface TunnelSpec {
  type: 'ipip' | 'gue' | 'gre';
  /** UDP port of the real server's GUE decapsulation (gue only). */
  port?: number;
  /** Outer checksum options (gue, gre). */
  checksum?: 'none' | 'csum' | 'remcsum';
}

export interface DestinationSpec {
  address: string;
  /** Must equal the virtual port for `dr` and `tun` (no port translation), 0 for fwmark services means "same port". */
  port: number;
  /** nat = masquerading (ipvsadm -m), dr = direct routing/gatewaying (-g, the default), tun = IP-in-IP (-i). */
  forwarding?: Forwarding;
  /** 0-65535; 0 drains: no new connections, existing ones stay. Default 1. */
  weight?: number;
  /** Stop sending new connections above this many (0 = no limit). */
  upperThreshold?: number;
  /** Resume below this many after the upper threshold was hit (0 = no limit). */
  lowerThreshold?: number;
  tunnel?: TunnelSpec;
}

/** Counters; entries whose counters are all zero share one frozen object. */
export interface Stats {
  connections: bigint;
  inPackets: bigint;
  outPackets: bigint;
  inBytes: bigint;
  outBytes: bigint;
  /** Rates from the kernel's estimator (about every 2 s): per second. */
  connectionRate: number;
  inPacketRate: number;
  outPacketRate: number;
  inByteRate: number;
  outByteRate: number;
}

/**
 * Statistics of an entry with no traffic yet (frozen): for an `Actual` built from what was
 * just applied rather than read back, as a caller of `plan()` that keeps its own view does.
 */
export const ZERO_STATS: Readonly<Stats> = Object.freeze({
  connections: 0n,
  inPackets: 0n,
  outPackets: 0n,
  inBytes: 0n,
  outBytes: 0n,
  connectionRate: 0,
  inPacketRate: 0,
  outPacketRate: 0,
  inByteRate: 0,
  outByteRate: 0,
});

export type Service = ServiceSpec & {
  scheduler: Scheduler;
  family: Family;
  /** The kernel's raw service flags. */
  flags: number;
  stats: Stats;
};

export interface Destination extends Omit<DestinationSpec, 'forwarding'> {
  forwarding: Forwarding | 'local' | 'bypass';
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  family: Family;
  activeConnections: number;
  inactiveConnections: number;
  persistentConnections: number;
  stats: Stats;
}

/** A real server's settings as the kernel has them, without counters: what plan() compares. */
export type DestinationSettings = Omit<
  Destination,
  'stats' | 'activeConnections' | 'inactiveConnections' | 'persistentConnections'
>;

export interface IpvsInfo {
  version: string;
  versionCode: number;
  connectionTableSize: number;
}

export interface Timeouts {
  /** Seconds; 0 in a set leaves that timeout unchanged. */
  tcp: number;
  tcpFin: number;
  udp: number;
}

export interface SyncDaemon {
  state: 'master' | 'backup';
  interface: string;
  syncId: number;
  /** v2 options (kernel 4.3+): payload size, multicast group, port and TTL. */
  maxLength?: number;
  group?: string;
  port?: number;
  ttl?: number;
}
