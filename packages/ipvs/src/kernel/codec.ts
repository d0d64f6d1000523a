import { formatAddress, parseAddress } from '../inet.js';
import { type Attr, AttrView, be16, cstring, u8, u16, u32 } from '../netlink/attributes.js';
import type {
  Destination,
  DestinationSpec,
  Family,
  Forwarding,
  Protocol,
  Scheduler,
  Service,
  ServiceKey,
  ServiceSpec,
  Stats,
  SyncDaemon,
  TunnelSpec,
} from '../types.js';
import {
  AF_INET,
  AF_INET6,
  DaemonAttr,
  DaemonState,
  DestAttr,
  FWD_MASK,
  FwdMethod,
  IPPROTO,
  StatsAttr,
  SvcAttr,
  SvcFlag,
  TunFlag,
  TunType,
} from './constants.js';

const afOf = (family: Family) => (family === 4 ? AF_INET : AF_INET6);
const familyOfAf = (af: number | undefined): Family => (af === AF_INET6 ? 6 : 4);

/** 16 bytes (union nf_inet_addr), as the kernel and ipvsadm exchange addresses. */
// Shared like the small integers (payloads are read-only): a table has few distinct addresses.
const addresses = new Map<string, Uint8Array>();

function addr16(address: string): Uint8Array {
  let out = addresses.get(address);
  if (out) return out;
  const bytes = parseAddress(address);
  if (!bytes) throw new TypeError(`not an address: ${address}`);
  out = new Uint8Array(16);
  out.set(bytes);
  if (addresses.size < 65536) addresses.set(address, out);
  return out;
}

function keyFamily(key: ServiceKey): Family {
  if (key.fwmark !== undefined) return key.family;
  return key.address.includes(':') ? 6 : 4;
}

/** The attributes that identify a service (what DEL, GET and destination commands carry). */
export function serviceKeyAttrs(key: ServiceKey): Attr[] {
  const family = keyFamily(key);
  if (key.fwmark !== undefined) {
    return [
      { type: SvcAttr.AF, value: u16(afOf(family)) },
      { type: SvcAttr.FWMARK, value: u32(key.fwmark) },
    ];
  }
  return [
    { type: SvcAttr.AF, value: u16(afOf(family)) },
    { type: SvcAttr.PROTOCOL, value: u16(IPPROTO[key.protocol]) },
    { type: SvcAttr.ADDR, value: addr16(key.address) },
    { type: SvcAttr.PORT, value: be16(key.port) },
  ];
}

export function serviceFlags(spec: ServiceSpec): number {
  let flags = 0;
  if (spec.persistence) flags |= SvcFlag.PERSISTENT;
  if (spec.onePacket) flags |= SvcFlag.ONEPACKET;
  if (spec.schedulerFlags?.fallback) flags |= SvcFlag.SCHED1;
  if (spec.schedulerFlags?.port) flags |= SvcFlag.SCHED2;
  if (spec.schedulerFlags?.flag3) flags |= SvcFlag.SCHED3;
  return flags;
}

/** IPv4 persistence netmasks travel as a mask in network order, IPv6 ones as a prefix length. */
function netmaskBytes(family: Family, prefix: number): Uint8Array {
  if (family === 6) return u32(prefix);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const b = Buffer.alloc(4);
  b.writeUInt32BE(mask);
  return b;
}

function prefixOfNetmask(family: Family, v: AttrView): number | undefined {
  if (family === 6) return v.u32(SvcAttr.NETMASK);
  let mask = v.be32(SvcAttr.NETMASK);
  if (mask === undefined) return undefined;
  let prefix = 0;
  while (mask & 0x80000000) {
    prefix++;
    mask = (mask << 1) >>> 0;
  }
  return prefix;
}

/** Every attribute of a service, for NEW_SERVICE and SET_SERVICE (the kernel wants them all). */
export function serviceAttrs(spec: ServiceSpec): Attr[] {
  const family = keyFamily(spec);
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(serviceFlags(spec), 0);
  // Full mask, as ipvsadm: the flags sent are the service's whole flag set.
  flags.writeUInt32LE(0xffffffff, 4);
  const attrs: Attr[] = [
    ...serviceKeyAttrs(spec),
    { type: SvcAttr.SCHED_NAME, value: cstring(spec.scheduler ?? 'wlc') },
    { type: SvcAttr.FLAGS, value: flags },
    { type: SvcAttr.TIMEOUT, value: u32(spec.persistence?.timeout ?? 0) },
    { type: SvcAttr.NETMASK, value: netmaskBytes(family, spec.persistence?.netmask ?? (family === 4 ? 32 : 128)) },
  ];
  if (spec.persistenceEngine) attrs.push({ type: SvcAttr.PE_NAME, value: cstring(spec.persistenceEngine) });
  return attrs;
}

const ZERO = 0n;

/**
 * The counters of an idle entry (all zero: a standby node, a quiet service), one frozen
 * object shared by all of them: a table of 100,000 real servers then holds one instead of
 * 100,000, and in a kernel where each fresh page costs a fault that is a large part of a
 * first read.
 */
const IDLE: Stats = Object.freeze({
  connections: ZERO,
  inPackets: ZERO,
  outPackets: ZERO,
  inBytes: ZERO,
  outBytes: ZERO,
  connectionRate: 0,
  inPacketRate: 0,
  outPacketRate: 0,
  inByteRate: 0,
  outByteRate: 0,
});

// STATS64 has every counter as u64; the older STATS has 32-bit counters except bytes.
const counter = (v: AttrView, t: number, wide: boolean) => (wide ? (v.u64(t) ?? ZERO) : BigInt(v.u32(t) ?? 0));
const rate = (v: AttrView, t: number, wide: boolean) => (wide ? v.u64Number(t) : v.u32(t)) ?? 0;

export function decodeStats(v: AttrView | undefined, wide: boolean): Stats {
  if (v === undefined) return IDLE;
  const stats: Stats = {
    connections: counter(v, StatsAttr.CONNS, wide),
    inPackets: counter(v, StatsAttr.INPKTS, wide),
    outPackets: counter(v, StatsAttr.OUTPKTS, wide),
    inBytes: v.u64(StatsAttr.INBYTES) ?? ZERO,
    outBytes: v.u64(StatsAttr.OUTBYTES) ?? ZERO,
    connectionRate: rate(v, StatsAttr.CPS, wide),
    inPacketRate: rate(v, StatsAttr.INPPS, wide),
    outPacketRate: rate(v, StatsAttr.OUTPPS, wide),
    inByteRate: rate(v, StatsAttr.INBPS, wide),
    outByteRate: rate(v, StatsAttr.OUTBPS, wide),
  };
  // An idle entry's object dies young; the shared one is what the table keeps.
  for (const key in stats) if (stats[key as keyof Stats] !== IDLE[key as keyof Stats]) return stats;
  return IDLE;
}

// IPv4 addresses as strings, shared: a table of 100,000 real servers has few distinct ones.
const ipv4Strings = new Map<number, string>();

/** The text of the IPv4 address at `buf[at]` (network order), shared between entries. */
export function ipv4Text(buf: Buffer, at: number): string {
  const n = buf.readUInt32BE(at);
  let text = ipv4Strings.get(n);
  if (text === undefined) {
    text = formatAddress(buf, 4, at);
    if (ipv4Strings.size < 65536) ipv4Strings.set(n, text);
  }
  return text;
}

function address(v: AttrView, type: number, family: Family): string {
  const at = v.offsetOf(type, family === 4 ? 4 : 16);
  if (at < 0) return formatAddress(new Uint8Array(16), family);
  return family === 6 ? formatAddress(v.buf, 6, at) : ipv4Text(v.buf, at);
}

const PROTOCOLS = new Map<number, Protocol>(Object.entries(IPPROTO).map(([name, n]) => [n, name as Protocol]));

export function decodeService(m: AttrView): Service {
  const family = familyOfAf(m.u16(SvcAttr.AF));
  const flags = m.u32(SvcAttr.FLAGS) ?? 0;
  const timeout = m.u32(SvcAttr.TIMEOUT) ?? 0;
  const fwmark = m.u32(SvcAttr.FWMARK) ?? 0;
  const common = {
    scheduler: (m.cstring(SvcAttr.SCHED_NAME) ?? '') as Scheduler,
    family,
    flags,
    stats: decodeStats(m.nested(SvcAttr.STATS64) ?? m.nested(SvcAttr.STATS), m.has(SvcAttr.STATS64)),
  };
  const key: ServiceKey =
    fwmark !== 0
      ? { fwmark, family }
      : {
          protocol: PROTOCOLS.get(m.u16(SvcAttr.PROTOCOL) ?? 0) ?? 'tcp',
          address: address(m, SvcAttr.ADDR, family),
          port: m.be16(SvcAttr.PORT) ?? 0,
        };
  const service: Service = { ...key, ...common };
  if (flags & SvcFlag.PERSISTENT) {
    service.persistence = { timeout, netmask: prefixOfNetmask(family, m) ?? (family === 4 ? 32 : 128) };
  }
  if (flags & SvcFlag.ONEPACKET) service.onePacket = true;
  const sched = {
    ...(flags & SvcFlag.SCHED1 ? { fallback: true } : {}),
    ...(flags & SvcFlag.SCHED2 ? { port: true } : {}),
    ...(flags & SvcFlag.SCHED3 ? { flag3: true } : {}),
  };
  if (Object.keys(sched).length > 0) service.schedulerFlags = sched;
  const pe = m.cstring(SvcAttr.PE_NAME);
  if (pe) service.persistenceEngine = pe;
  return service;
}

const FORWARDING: Record<Forwarding, number> = { nat: FwdMethod.MASQ, dr: FwdMethod.DROUTE, tun: FwdMethod.TUNNEL };
export const FORWARDING_NAMES: ReadonlyMap<number, Destination['forwarding']> = new Map([
  [FwdMethod.MASQ, 'nat'],
  [FwdMethod.DROUTE, 'dr'],
  [FwdMethod.TUNNEL, 'tun'],
  [FwdMethod.LOCALNODE, 'local'],
  [FwdMethod.BYPASS, 'bypass'],
]);
const TUN_TYPES: Record<TunnelSpec['type'], number> = { ipip: TunType.IPIP, gue: TunType.GUE, gre: TunType.GRE };
const TUN_CHECKSUM: Record<NonNullable<TunnelSpec['checksum']>, number> = {
  none: 0,
  csum: TunFlag.CSUM,
  remcsum: TunFlag.REMCSUM,
};

/** The attributes of a destination for NEW_DEST and SET_DEST (the kernel wants the full set). */
export function destinationAttrs(dest: DestinationSpec): Attr[] {
  const family: Family = dest.address.includes(':') ? 6 : 4;
  const attrs: Attr[] = [
    { type: DestAttr.ADDR, value: addr16(dest.address) },
    { type: DestAttr.PORT, value: be16(dest.port) },
    { type: DestAttr.FWD_METHOD, value: u32(FORWARDING[dest.forwarding ?? 'dr']) },
    { type: DestAttr.WEIGHT, value: u32(dest.weight ?? 1) },
    { type: DestAttr.U_THRESH, value: u32(dest.upperThreshold ?? 0) },
    { type: DestAttr.L_THRESH, value: u32(dest.lowerThreshold ?? 0) },
    { type: DestAttr.ADDR_FAMILY, value: u16(afOf(family)) },
  ];
  if (dest.forwarding === 'tun' && dest.tunnel) {
    attrs.push({ type: DestAttr.TUN_TYPE, value: u8(TUN_TYPES[dest.tunnel.type]) });
    if (dest.tunnel.port !== undefined) attrs.push({ type: DestAttr.TUN_PORT, value: be16(dest.tunnel.port) });
    if (dest.tunnel.checksum) attrs.push({ type: DestAttr.TUN_FLAGS, value: u16(TUN_CHECKSUM[dest.tunnel.checksum]) });
  }
  return attrs;
}

/** The attributes that identify a destination (DEL_DEST). */
export function destinationKeyAttrs(dest: { address: string; port: number }): Attr[] {
  const family: Family = dest.address.includes(':') ? 6 : 4;
  return [
    { type: DestAttr.ADDR, value: addr16(dest.address) },
    { type: DestAttr.PORT, value: be16(dest.port) },
    { type: DestAttr.ADDR_FAMILY, value: u16(afOf(family)) },
  ];
}

/** `scratch`: a view to decode the statistics in, for loops over many destinations. */
export function decodeDestination(m: AttrView, serviceFamily: Family, scratch = new AttrView()): Destination {
  const af = m.u16(DestAttr.ADDR_FAMILY);
  const family = af === undefined ? serviceFamily : familyOfAf(af);
  const forwarding = FORWARDING_NAMES.get((m.u32(DestAttr.FWD_METHOD) ?? 0) & FWD_MASK) ?? 'nat';
  const dest: Destination = {
    address: address(m, DestAttr.ADDR, family),
    port: m.be16(DestAttr.PORT) ?? 0,
    forwarding,
    weight: m.u32(DestAttr.WEIGHT) ?? 0,
    upperThreshold: m.u32(DestAttr.U_THRESH) ?? 0,
    lowerThreshold: m.u32(DestAttr.L_THRESH) ?? 0,
    family,
    activeConnections: m.u32(DestAttr.ACTIVE_CONNS) ?? 0,
    inactiveConnections: m.u32(DestAttr.INACT_CONNS) ?? 0,
    persistentConnections: m.u32(DestAttr.PERSIST_CONNS) ?? 0,
    stats: decodeStats(
      m.nestedInto(DestAttr.STATS64, scratch) ?? m.nestedInto(DestAttr.STATS, scratch),
      m.has(DestAttr.STATS64),
    ),
  };
  const tunType = m.u8(DestAttr.TUN_TYPE);
  if (forwarding === 'tun' && tunType !== undefined) {
    const type = (Object.entries(TUN_TYPES).find(([, v]) => v === tunType)?.[0] ?? 'ipip') as TunnelSpec['type'];
    const flags = m.u16(DestAttr.TUN_FLAGS) ?? 0;
    const tunnel: TunnelSpec = { type };
    if (type === 'gue') tunnel.port = m.be16(DestAttr.TUN_PORT) ?? 0;
    if (type !== 'ipip') tunnel.checksum = flags & TunFlag.REMCSUM ? 'remcsum' : flags & TunFlag.CSUM ? 'csum' : 'none';
    dest.tunnel = tunnel;
  }
  return dest;
}

export function daemonAttrs(d: SyncDaemon): Attr[] {
  const attrs: Attr[] = [
    { type: DaemonAttr.STATE, value: u32(d.state === 'master' ? DaemonState.MASTER : DaemonState.BACKUP) },
    { type: DaemonAttr.MCAST_IFN, value: cstring(d.interface) },
    { type: DaemonAttr.SYNC_ID, value: u32(d.syncId) },
  ];
  if (d.maxLength !== undefined) attrs.push({ type: DaemonAttr.SYNC_MAXLEN, value: u16(d.maxLength) });
  if (d.group !== undefined) {
    const bytes = parseAddress(d.group) ?? new Uint8Array(4);
    attrs.push(
      bytes.length === 4
        ? { type: DaemonAttr.MCAST_GROUP, value: bytes }
        : { type: DaemonAttr.MCAST_GROUP6, value: bytes },
    );
  }
  // The multicast port is host order here, unlike service and destination ports.
  if (d.port !== undefined) attrs.push({ type: DaemonAttr.MCAST_PORT, value: u16(d.port) });
  if (d.ttl !== undefined) attrs.push({ type: DaemonAttr.MCAST_TTL, value: u8(d.ttl) });
  return attrs;
}

export function decodeDaemon(m: AttrView): SyncDaemon {
  const daemon: SyncDaemon = {
    state: m.u32(DaemonAttr.STATE) === DaemonState.MASTER ? 'master' : 'backup',
    interface: m.cstring(DaemonAttr.MCAST_IFN) ?? '',
    syncId: m.u32(DaemonAttr.SYNC_ID) ?? 0,
  };
  const maxLength = m.u16(DaemonAttr.SYNC_MAXLEN);
  if (maxLength !== undefined) daemon.maxLength = maxLength;
  // The kernel always sends a group (0.0.0.0 when none was set): only a real one is kept.
  const g6 = m.span(DaemonAttr.MCAST_GROUP6);
  const g4 = m.span(DaemonAttr.MCAST_GROUP);
  const set = (span: { offset: number; length: number }, n: number) =>
    span.length >= n && m.buf.subarray(span.offset, span.offset + n).some((b) => b !== 0);
  if (g6 && set(g6, 16)) daemon.group = formatAddress(m.buf, 6, g6.offset);
  else if (g4 && set(g4, 4)) daemon.group = formatAddress(m.buf, 4, g4.offset);
  const port = m.u16(DaemonAttr.MCAST_PORT);
  if (port !== undefined) daemon.port = port;
  const ttl = m.u8(DaemonAttr.MCAST_TTL);
  if (ttl !== undefined) daemon.ttl = ttl;
  return daemon;
}
