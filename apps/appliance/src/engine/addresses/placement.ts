import { BlockList, isIPv6 } from 'node:net';

export interface AddressPlacement {
  /** `address/prefix`. */
  cidr: string;
  interface: string;
  /** `floating IP`, `VIP of layer4 web`, ... */
  why: string;
}

/**
 * What placing reads of a configuration: the floating IPs and every service's VIP. The HA
 * engine process is told just this (not a whole 1,000-service configuration) to hold the
 * addresses on its own.
 */
export interface AddressSource {
  floatingIps: readonly { address: string; interface?: string | undefined }[];
  layer4: readonly { vip: string; label: string }[];
  layer7: readonly { vip: string; label: string }[];
  ssl: readonly { vip: string; label: string }[];
  /** `ecmp`: every VIP goes on `lo` (routers reach it through BGP, not through a LAN). */
  cluster?: { mode: 'pair' | 'ecmp' } | undefined;
}

/** Whether the VIPs go on `lo`, as host addresses, unannounced (an ECMP cluster). */
export const onLoopback = (config: AddressSource) => config.cluster?.mode === 'ecmp';

/** The part of a configuration that places addresses, small enough to send to another process. */
export function addressSource(config: AddressSource): AddressSource {
  const vips = (services: readonly { vip: string; label: string }[]) =>
    services.map(({ vip, label }) => ({ vip, label }));
  return {
    floatingIps: config.floatingIps.map((f) => ({
      address: f.address,
      ...(f.interface ? { interface: f.interface } : {}),
    })),
    layer4: vips(config.layer4),
    layer7: vips(config.layer7),
    ssl: vips(config.ssl),
    ...(onLoopback(config) ? { cluster: { mode: 'ecmp' as const } } : {}),
  };
}

export interface HostAddress {
  interface: string;
  address: string;
  prefix: number;
}

interface Network {
  host: HostAddress;
  type: 'ipv4' | 'ipv6';
  list: BlockList;
}

/** The host's networks, once per placement (a VIP per service makes thousands of lookups). */
function networks(onHost: readonly HostAddress[]): Network[] {
  const out: Network[] = [];
  for (const host of onHost) {
    const type = isIPv6(host.address) ? 'ipv6' : 'ipv4';
    // Host routes and loopback say nothing about where a VIP belongs.
    if (host.prefix >= (type === 'ipv6' ? 128 : 32) || host.interface === 'lo') continue;
    const list = new BlockList();
    list.addSubnet(host.address, host.prefix, type);
    out.push({ host, type, list });
  }
  return out;
}

/** The interface whose network holds the address (the longest prefix wins). */
function interfaceFor(address: string, nets: readonly Network[]): HostAddress | undefined {
  const type = isIPv6(address) ? 'ipv6' : 'ipv4';
  let best: HostAddress | undefined;
  for (const n of nets) {
    if (n.type === type && n.list.check(address, type) && (!best || n.host.prefix > best.prefix)) best = n.host;
  }
  return best;
}

/**
 * Where each floating IP and VIP goes: a floating IP on its configured interface, else (as
 * every VIP) on the interface whose network holds it, with that network's prefix length, or
 * the prefix it already has there (`present`: the host's addresses, ours included).
 */
export function placeAddresses(
  config: AddressSource,
  onHost: readonly HostAddress[],
  present: readonly HostAddress[] = onHost,
): { placed: AddressPlacement[]; unplaced: string[] } {
  if (onLoopback(config)) return { placed: loopbackPlacements(config), unplaced: [] };
  const placed: AddressPlacement[] = [];
  const unplaced: string[] = [];
  const seen = new Set<string>();
  const nets = networks(onHost);
  for (const f of config.floatingIps) {
    const [address = '', prefix = ''] = f.address.split('/');
    seen.add(address);
    const ifname = f.interface ?? interfaceFor(address, nets)?.interface;
    if (ifname) placed.push({ cidr: `${address}/${prefix}`, interface: ifname, why: 'floating IP' });
    else unplaced.push(f.address);
  }
  const vips = [
    ...config.layer4.map((s) => ({ address: s.vip, why: `VIP of layer4 ${s.label}` })),
    ...config.layer7.map((s) => ({ address: s.vip, why: `VIP of layer7 ${s.label}` })),
    ...config.ssl.map((s) => ({ address: s.vip, why: `VIP of ssl ${s.label}` })),
  ];
  for (const vip of vips) {
    if (seen.has(vip.address)) continue;
    seen.add(vip.address);
    const network = interfaceFor(vip.address, nets);
    // A VIP already on that interface keeps its prefix (keepalived adds its /32): adopted, not added twice.
    const there = network && present.find((h) => h.address === vip.address && h.interface === network.interface);
    const prefix = there ? there.prefix : network?.prefix;
    if (network) placed.push({ cidr: `${vip.address}/${prefix}`, interface: network.interface, why: vip.why });
    else unplaced.push(vip.address);
  }
  return { placed, unplaced };
}

/**
 * ECMP: each VIP as a host address on `lo` (/32, /128). No LAN holds it: the routers send
 * its flows here because BGP says so, and the node must accept them as local (IPVS, HAProxy)
 * without ever answering ARP or neighbour solicitations for it on a real interface. A host
 * address makes no route of its own beyond the kernel's local one, so no noprefixroute is needed.
 */
function loopbackPlacements(config: AddressSource): AddressPlacement[] {
  const placed: AddressPlacement[] = [];
  const seen = new Set<string>();
  for (const [layer, services] of [
    ['layer4', config.layer4],
    ['layer7', config.layer7],
    ['ssl', config.ssl],
  ] as const) {
    for (const s of services) {
      if (seen.has(s.vip)) continue;
      seen.add(s.vip);
      placed.push({ cidr: `${s.vip}/${isIPv6(s.vip) ? 128 : 32}`, interface: 'lo', why: `VIP of ${layer} ${s.label}` });
    }
  }
  return placed;
}
