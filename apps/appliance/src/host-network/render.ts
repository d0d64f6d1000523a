/**
 * The network section as the system's own files: one systemd-networkd `.network` file per
 * configured interface, a resolved drop-in for DNS, a timesyncd drop-in for NTP. Pure (a
 * configuration in, file texts out), so that what the host gets is held by golden tests.
 * networkd reads these at every boot, before the appliance starts: the settings are
 * permanent without the appliance doing anything at boot.
 *
 * Every value was checked by the schema (addresses, interface names, RFC 1123 host names:
 * no space, "=", "[" or line break), so none can add a line or a section to a file.
 */
import { addressBits, isLinkLocal } from '../model/addresses.js';
import { interfaceFor } from '../model/network-rules.js';
import type { NetworkSettings } from '../model/schema.js';

/** Where the files go, relative to the root ("/" on the appliance). */
export const NETWORK_DIR = 'etc/systemd/network';
export const RESOLVED_FILE = 'etc/systemd/resolved.conf.d/50-sluice.conf';
export const TIMESYNCD_FILE = 'etc/systemd/timesyncd.conf.d/50-sluice.conf';
/** The files of ours in NETWORK_DIR: any other (the image's 90-sluice-factory.network) is never touched. */
export const OWN_PREFIX = '10-sluice-';

export interface HostNetworkPlan {
  /** Path relative to the root -> content. */
  files: Map<string, string>;
  /** The interface each `.network` file configures, by its path. */
  interfaces: Map<string, string>;
  hostname: string | undefined;
  /** What the files cannot say (a gateway no configured interface reaches), for the status. */
  notes: string[];
}

const HEADER = '# Written by the Sluice appliance from its network settings: changes here are overwritten.\n';

export const networkFile = (name: string) => `${NETWORK_DIR}/${OWN_PREFIX}${name}.network`;

const family = (address: string) => addressBits(address.split('/')[0] ?? '')?.family;

export function renderHostNetwork(network: NetworkSettings): HostNetworkPlan {
  const files = new Map<string, string>();
  const interfaces = new Map<string, string>();
  const notes: string[] = [];
  const gateways = new Map<string, string[]>();
  const routes = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, name: string, line: string) =>
    map.set(name, [...(map.get(name) ?? []), line]);

  for (const key of ['ipv4', 'ipv6'] as const) {
    const gateway = network.defaultGateway[key];
    if (gateway === undefined) continue;
    const holder = isLinkLocal(gateway)
      ? (network.interfaces.find((nic) => nic.addresses.some((a) => family(a) === 6)) ?? network.interfaces[0])?.name
      : interfaceFor(network, gateway);
    if (holder === undefined)
      notes.push(`default gateway ${gateway}: no configured interface reaches it (left to the host)`);
    else add(gateways, holder, `Gateway=${gateway}`);
  }
  for (const route of network.routes ?? []) {
    const holder = route.interface ?? interfaceFor(network, route.gateway);
    if (holder === undefined) {
      notes.push(`route to ${route.destination}: no configured interface reaches ${route.gateway}`);
      continue;
    }
    const lines = [`Destination=${route.destination}`, `Gateway=${route.gateway}`];
    if (route.metric !== undefined) lines.push(`Metric=${route.metric}`);
    add(routes, holder, `\n[Route]\n${lines.join('\n')}`);
  }

  for (const nic of network.interfaces) {
    const path = networkFile(nic.name);
    const body = [
      HEADER,
      '[Match]',
      `Name=${nic.name}`,
      '',
      '[Network]',
      // A link without carrier keeps its addresses (an admin network cable pulled and put back).
      'ConfigureWithoutCarrier=yes',
      ...nic.addresses.map((cidr) => `Address=${cidr}`),
      ...(gateways.get(nic.name) ?? []),
      ...(routes.get(nic.name) ?? []),
    ];
    files.set(path, `${body.join('\n')}\n`);
    interfaces.set(path, nic.name);
  }

  const dns = network.dns;
  if (dns !== undefined && (dns.servers.length > 0 || dns.searchDomains.length > 0)) {
    const lines = [HEADER, '[Resolve]'];
    if (dns.servers.length > 0) lines.push(`DNS=${dns.servers.join(' ')}`);
    if (dns.searchDomains.length > 0) lines.push(`Domains=${dns.searchDomains.join(' ')}`);
    files.set(RESOLVED_FILE, `${lines.join('\n')}\n`);
  }
  if (network.ntpServers !== undefined && network.ntpServers.length > 0) {
    files.set(TIMESYNCD_FILE, `${[HEADER, '[Time]', `NTP=${network.ntpServers.join(' ')}`].join('\n')}\n`);
  }
  return { files, interfaces, hostname: network.hostname, notes };
}
