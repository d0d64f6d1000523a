import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { UdpLinkConfig } from '@sluice/heartbeat';
import { ApplianceError } from '../errors.js';
import type { ApplianceConfig } from '../model/schema.js';

export type HeartbeatSection = NonNullable<ApplianceConfig['heartbeat']>;

/**
 * What makes this node the master or the slave: node-local settings, never replicated
 * (the configuration is one document shared by both nodes).
 *
 * The `heartbeat` section of the configuration is the pair seen from the master: `peer` is
 * the slave and `links[].peerAddress` the slave's address on each link. So:
 * - on the master (`--ha-role master`) nothing else is needed; its node name is
 *   `master` unless `--ha-name` says otherwise;
 * - on the slave (`--ha-role slave`) its node name is `heartbeat.peer.name` and
 *   `--ha-peer [NAME@]ADDRESS` names the master (NAME defaults to `master`); give it once
 *   per link, in the order of `heartbeat.links`, when the master has one address per link.
 * Without `--ha-role` a node whose addresses include `heartbeat.peer.address` is the slave.
 */
export interface HaLocalOptions {
  role?: 'master' | 'slave';
  /** The master's node name (default `master`). */
  name?: string;
  /** On the slave: the master, with one address per link (the first one also for replication). */
  peer?: { name?: string; addresses: readonly string[] };
  /** The UDP port of the first link; link i uses port + i (default 694, heartbeat's). */
  linkPort?: number;
  /** The peer's admin URL for replication (default `http://<peer address>:<administration.httpPort>`). */
  peerUrl?: string;
}

export interface HaIdentity {
  role: 'master' | 'slave';
  nodeId: string;
  peerId: string;
  peerAddress: string;
  links: UdpLinkConfig[];
  peerUrl: string;
}

/** Interface name -> its addresses. */
export type HostAddresses = Record<string, string[]>;

export function hostAddresses(): HostAddresses {
  const out: HostAddresses = {};
  for (const [name, list] of Object.entries(networkInterfaces())) {
    out[name] = (list ?? []).map((entry) => entry.address.replace(/%.*$/, ''));
  }
  return out;
}

export const DEFAULT_MASTER_NAME = 'master';
const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function invalid(message: string, field: string): ApplianceError {
  return new ApplianceError('HA_DISABLED', `HA cannot start: ${message}`, { field });
}

/** `lb1@192.0.2.1`, `192.0.2.1` or `lb1@2001:db8::1` -> name and address. */
export function parsePeerSpec(spec: string): { name?: string; address: string } {
  const at = spec.indexOf('@');
  const name = at === -1 ? undefined : spec.slice(0, at);
  const address = at === -1 ? spec : spec.slice(at + 1);
  if (name !== undefined && !NODE_ID.test(name)) {
    throw invalid(`--ha-peer: ${JSON.stringify(name)} is not a node name`, 'ha-peer');
  }
  if (!isIPv4(address) && !isIPv6(address)) {
    throw invalid(`--ha-peer: ${JSON.stringify(address)} is not an IP address`, 'ha-peer');
  }
  return name === undefined ? { address } : { name, address };
}

function localAddress(addresses: HostAddresses, ifname: string, peer: string): string | undefined {
  const family = isIPv4(peer) ? isIPv4 : isIPv6;
  const candidates = (addresses[ifname] ?? []).filter((a) => family(a));
  // A global IPv6 address reaches a global peer; a link-local one needs a scope the socket lacks.
  return candidates.find((a) => !a.toLowerCase().startsWith('fe80:')) ?? undefined;
}

export function urlHost(address: string): string {
  return isIPv6(address) ? `[${address}]` : address;
}

/** This node's side of the pair, from the shared heartbeat section and the node-local options. */
export function resolveIdentity(
  heartbeat: HeartbeatSection,
  local: HaLocalOptions,
  addresses: HostAddresses,
  adminPort: number,
): HaIdentity {
  const own = new Set(Object.values(addresses).flat());
  const role = local.role ?? (own.has(heartbeat.peer.address) ? 'slave' : 'master');
  const masterName =
    role === 'master' ? (local.name ?? DEFAULT_MASTER_NAME) : (local.peer?.name ?? DEFAULT_MASTER_NAME);
  if (!NODE_ID.test(masterName)) throw invalid(`${JSON.stringify(masterName)} is not a node name`, 'ha-name');
  if (masterName === heartbeat.peer.name) {
    throw invalid(`the master's name and heartbeat.peer.name are both ${JSON.stringify(masterName)}`, 'ha-name');
  }
  const basePort = local.linkPort ?? 694;
  let peerAddresses: string[];
  if (role === 'master') {
    peerAddresses = heartbeat.links.map((link) => link.peerAddress ?? heartbeat.peer.address);
  } else {
    const given = local.peer?.addresses ?? [];
    const first = given[0];
    if (first === undefined) {
      throw invalid('on the slave, --ha-peer [NAME@]ADDRESS must name the master', 'ha-peer');
    }
    peerAddresses = heartbeat.links.map((_, i) => given[i] ?? first);
  }
  const links: UdpLinkConfig[] = heartbeat.links.map((link, i) => {
    const peer = peerAddresses[i] as string;
    const source = localAddress(addresses, link.interface, peer);
    return {
      name: link.interface,
      type: 'unicast',
      peer,
      port: basePort + i,
      ...(source === undefined ? {} : { local: source }),
    };
  });
  const peerAddress = role === 'master' ? heartbeat.peer.address : (peerAddresses[0] as string);
  return {
    role,
    nodeId: role === 'master' ? masterName : heartbeat.peer.name,
    peerId: role === 'master' ? heartbeat.peer.name : masterName,
    peerAddress,
    links,
    peerUrl: local.peerUrl ?? `http://${urlHost(peerAddress)}:${adminPort}`,
  };
}
