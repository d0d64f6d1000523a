import { ApplianceError } from '../errors.js';

/**
 * The appliance manual's test set-up, as data: who sits where, with which documentation
 * addresses. Building it (lab.ts) and describing it (describe.ts) both read this, so the
 * printed instructions cannot drift from what was built.
 *
 *   front 192.0.2.0/24 (one-arm: clients, balancer, real servers; DR, TUN, Layer 7 VIPs)
 *     client1 .21  client2 .22  lb .2 (lb2 .3)  alpha .11  bravo .12  charlie .13
 *   back 198.51.100.0/24 (NAT: the balancer is the real servers' gateway, 198.51.100.1)
 *     lb .2 (lb2 .3)  alpha .11  bravo .12  charlie .13
 */
export const LAB_PREFIX = 'sluice-lab-';

export type LabNetwork = 'front' | 'back';
export type LabRole = 'client' | 'balancer' | 'real-server';

export interface LabInterface {
  /** The interface inside the host's namespace. */
  name: string;
  network: LabNetwork;
  /** `address/prefix`. */
  addresses: string[];
  /** The switch's port for this interface (in the switch namespace): pulling the cable sets it down. */
  switchPort: string;
}

export interface LabHost {
  label: string;
  role: LabRole;
  netns: string;
  interfaces: LabInterface[];
}

export interface LabRealServer {
  label: string;
  /** What its page says: `alpha_server`. */
  page: string;
  front: string;
  back: string;
}

export interface LabVips {
  /** Layer 4 direct routing: the VIP is also on the real servers' `lo` (ARP fixed). */
  dr: string;
  /** Layer 4 NAT: real servers at their back-network addresses. */
  nat: string;
  /** Layer 4 IP-in-IP tunnel: the VIP is on the real servers' `tunl0`. */
  tun: string;
  /** Layer 7 (HAProxy, SNAT): no change on the real servers. */
  layer7: string;
}

export interface LabTopology {
  prefix: string;
  pair: boolean;
  /** Pid files and logs of the lab's web servers; removed by `lab down`. */
  stateDir: string;
  switchNetns: string;
  networks: Record<LabNetwork, string>;
  hosts: LabHost[];
  realServers: LabRealServer[];
  vips: LabVips;
  /** The NAT real servers' default gateway: a floating IP on the (active) balancer. */
  natGateway: string;
  /** The interface of the balancers on each network. */
  balancerInterface: Record<LabNetwork, string>;
}

export interface LabOptions {
  /** Namespace name prefix (default `sluice-lab-`); tests use their own so a user's lab is never touched. */
  prefix?: string;
  /** Two balancers (`lb1` master, `lb2` slave) instead of one (`lb`), for an HA pair. */
  pair?: boolean;
  /** Default `/run/<prefix without the trailing dash>`. */
  stateDir?: string;
}

const PREFIX = /^[a-z][a-z0-9-]{0,20}-$/;

export const LAB_REAL_SERVERS: readonly LabRealServer[] = [
  { label: 'alpha', page: 'alpha_server', front: '192.0.2.11', back: '198.51.100.11' },
  { label: 'bravo', page: 'bravo_server', front: '192.0.2.12', back: '198.51.100.12' },
  { label: 'charlie', page: 'charlie_server', front: '192.0.2.13', back: '198.51.100.13' },
];

export const LAB_VIPS: LabVips = { dr: '192.0.2.100', nat: '192.0.2.101', tun: '192.0.2.102', layer7: '192.0.2.110' };

function checkPrefix(prefix: string): string {
  if (!PREFIX.test(prefix)) {
    throw new ApplianceError('LAB_FAILED', `lab prefix ${JSON.stringify(prefix)} must match ${PREFIX}`, {
      field: 'prefix',
    });
  }
  return prefix;
}

export function labTopology(options: LabOptions = {}): LabTopology {
  const prefix = checkPrefix(options.prefix ?? LAB_PREFIX);
  const pair = options.pair ?? false;
  const ns = (label: string) => `${prefix}${label}`;
  const nic = (label: string, name: string, network: LabNetwork, addresses: string[]): LabInterface => ({
    name,
    network,
    addresses,
    switchPort: `${label}-${network}`,
  });
  const balancers = pair
    ? [
        { label: 'lb1', n: 2 },
        { label: 'lb2', n: 3 },
      ]
    : [{ label: 'lb', n: 2 }];
  const hosts: LabHost[] = [
    ...[1, 2].map(
      (i): LabHost => ({
        label: `client${i}`,
        role: 'client',
        netns: ns(`client${i}`),
        interfaces: [nic(`client${i}`, 'eth0', 'front', [`192.0.2.${20 + i}/24`])],
      }),
    ),
    ...balancers.map(
      ({ label, n }): LabHost => ({
        label,
        role: 'balancer',
        netns: ns(label),
        interfaces: [
          nic(label, 'eth0', 'front', [`192.0.2.${n}/24`]),
          nic(label, 'eth1', 'back', [`198.51.100.${n}/24`]),
        ],
      }),
    ),
    ...LAB_REAL_SERVERS.map(
      (rs): LabHost => ({
        label: rs.label,
        role: 'real-server',
        netns: ns(rs.label),
        interfaces: [
          nic(rs.label, 'eth0', 'front', [`${rs.front}/24`]),
          nic(rs.label, 'eth1', 'back', [`${rs.back}/24`]),
        ],
      }),
    ),
  ];
  return {
    prefix,
    pair,
    stateDir: options.stateDir ?? `/run/${prefix.slice(0, -1)}`,
    switchNetns: ns('switch'),
    networks: { front: '192.0.2.0/24', back: '198.51.100.0/24' },
    hosts,
    realServers: [...LAB_REAL_SERVERS],
    vips: { ...LAB_VIPS },
    natGateway: '198.51.100.1',
    balancerInterface: { front: 'eth0', back: 'eth1' },
  };
}

/** A host of the lab by label, or LAB_FAILED naming the labels there are. */
export function labHost(topology: LabTopology, label: string): LabHost {
  const host = topology.hosts.find((h) => h.label === label);
  if (!host) {
    throw new ApplianceError(
      'LAB_FAILED',
      `no host ${JSON.stringify(label)} in the lab (hosts: ${topology.hosts.map((h) => h.label).join(', ')})`,
      { field: 'host' },
    );
  }
  return host;
}

export function balancers(topology: LabTopology): LabHost[] {
  return topology.hosts.filter((h) => h.role === 'balancer');
}
