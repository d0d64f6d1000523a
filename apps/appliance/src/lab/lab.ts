import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplianceError } from '../errors.js';
import { pagePid, startPage, stopPage } from './page-server.js';
import { ip, ipBatch, listNetns, netnsPids, removeNetns, sysctls } from './system.js';
import { type LabHost, type LabNetwork, type LabOptions, type LabTopology, labHost, labTopology } from './topology.js';

/** What `lab up` left for the other lab commands: enough to rebuild the topology. */
interface LabState {
  pair: boolean;
  /** Real servers whose `tunl0` holds the TUN VIP (the kernel may lack ipip). */
  tunnel: boolean;
}

const STATE_FILE = 'lab.json';
/** NAT replies leave through the balancer by this routing table, whatever their destination. */
const NAT_TABLE = '100';

function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new ApplianceError(
      'LAB_FAILED',
      'the lab creates network namespaces and needs root: run it as root (sudo sluice-appliance lab ...)',
    );
  }
}

function readState(stateDir: string): LabState | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, STATE_FILE), 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/** The topology of the lab that is up (as `lab up` recorded it), or the default one. */
export function currentTopology(options: LabOptions = {}): LabTopology {
  const probe = labTopology(options);
  const state = readState(probe.stateDir);
  return state === undefined ? probe : labTopology({ ...options, pair: options.pair ?? state.pair });
}

/** The switch: two bridges and, for each host interface, a veth pair whose far end is moved into the host. */
function switchLines(topology: LabTopology): string[] {
  return [
    'link set lo up',
    ...(['front', 'back'] as const).flatMap((network) => [
      `link add name ${network} type bridge`,
      `link set ${network} up`,
    ]),
    // Created from the switch side straight into the host: nothing appears in the caller's namespace.
    ...topology.hosts.flatMap((host) =>
      host.interfaces.flatMap((nic) => [
        `link add ${nic.switchPort} type veth peer name ${nic.name} netns ${host.netns}`,
        `link set ${nic.switchPort} master ${nic.network} up`,
      ]),
    ),
  ];
}

function hostLines(topology: LabTopology, host: LabHost, tunnel: boolean): string[] {
  const lines = [
    'link set lo up',
    ...host.interfaces.flatMap((nic) => [
      `link set ${nic.name} up`,
      ...nic.addresses.map((address) => `addr add ${address} dev ${nic.name}`),
    ]),
  ];
  if (host.role !== 'real-server') return lines;
  const back = host.interfaces.find((nic) => nic.network === 'back')?.name ?? 'eth1';
  const gateway = topology.natGateway;
  return [
    ...lines,
    // NAT: the balancer is the default gateway. The clients share the front network with
    // the real servers, so replies from the back address would go to them directly and
    // never be un-NATed: this rule sends every reply from the back network through the balancer.
    `route add default via ${gateway} dev ${back}`,
    `route add ${topology.networks.back} dev ${back} table ${NAT_TABLE}`,
    `route add default via ${gateway} dev ${back} table ${NAT_TABLE}`,
    `rule add from ${topology.networks.back} lookup ${NAT_TABLE} priority 100`,
    // DR: the VIP on lo (with the ARP sysctls below: the manual's method 2, as `sluice-arp-fix apply` does it).
    `addr add ${topology.vips.dr}/32 dev lo`,
    // TUN: decapsulate on tunl0, which holds the VIP.
    ...(tunnel ? ['link set tunl0 up', `addr add ${topology.vips.tun}/32 dev tunl0`] : []),
  ];
}

function hostSysctls(host: LabHost, tunnel: boolean): Record<string, number> {
  if (host.role === 'balancer') {
    // What an appliance's operating system sets: it routes (NAT), and the passive node of
    // a pair binds its Layer 7 listeners before it holds the floating IPs.
    return { 'net.ipv4.ip_forward': 1, 'net.ipv4.ip_nonlocal_bind': 1 };
  }
  if (host.role !== 'real-server') return {};
  return {
    // Accept the VIP, never answer ARP for it nor use it as an ARP source.
    'net.ipv4.conf.all.arp_ignore': 1,
    'net.ipv4.conf.all.arp_announce': 2,
    // Tunnelled and direct-routed packets come in with the client's source on another interface.
    'net.ipv4.conf.all.rp_filter': 0,
    'net.ipv4.conf.default.rp_filter': 0,
    ...(tunnel ? { 'net.ipv4.conf.tunl0.rp_filter': 0 } : {}),
  };
}

/** tunl0 exists in every namespace once the kernel has ipip; the lab never loads modules itself. */
async function hasTunnelDevice(netns: string): Promise<boolean> {
  return ip(netns, ['link', 'show', 'tunl0']).then(
    () => true,
    () => false,
  );
}

export interface LabUpResult {
  topology: LabTopology;
  /** False when the kernel has no ipip: the TUN VIP is not on the real servers. */
  tunnel: boolean;
}

/** Builds the lab; fails with LAB_FAILED (and removes what it made) if any step fails. */
export async function labUp(options: LabOptions = {}): Promise<LabUpResult> {
  requireRoot();
  const topology = labTopology(options);
  const existing = new Set(await listNetns());
  const taken = [topology.switchNetns, ...topology.hosts.map((h) => h.netns)].filter((name) => existing.has(name));
  if (taken.length > 0 || readState(topology.stateDir) !== undefined) {
    throw new ApplianceError(
      'LAB_FAILED',
      `a lab is already up (${taken.join(', ') || topology.stateDir}): run \`sluice-appliance lab down\` first`,
    );
  }
  try {
    mkdirSync(topology.stateDir, { recursive: true, mode: 0o700 });
    const namespaces = [topology.switchNetns, ...topology.hosts.map((h) => h.netns)];
    await ipBatch(
      undefined,
      namespaces.map((name) => `netns add ${name}`),
    );
    await ipBatch(topology.switchNetns, switchLines(topology));
    const firstServer = topology.hosts.find((h) => h.role === 'real-server');
    const tunnel = firstServer !== undefined && (await hasTunnelDevice(firstServer.netns));
    await Promise.all(
      topology.hosts.map(async (host) => {
        await sysctls(host.netns, hostSysctls(host, tunnel));
        await ipBatch(host.netns, hostLines(topology, host, tunnel));
      }),
    );
    await Promise.all(topology.realServers.map((rs) => startPage(topology, rs)));
    const state: LabState = { pair: topology.pair, tunnel };
    writeFileSync(join(topology.stateDir, STATE_FILE), `${JSON.stringify(state)}\n`);
    return { topology, tunnel };
  } catch (error) {
    await teardown(topology);
    if (error instanceof ApplianceError) throw error;
    throw new ApplianceError('LAB_FAILED', `building the lab failed: ${(error as Error).message}`, { cause: error });
  }
}

async function teardown(topology: LabTopology): Promise<string[]> {
  const existing = new Set(await listNetns());
  // Both shapes: a lab built with --pair is removed by a plain `lab down` too.
  const names = new Set([
    ...labTopology({ prefix: topology.prefix, pair: false }).hosts.map((h) => h.netns),
    ...labTopology({ prefix: topology.prefix, pair: true }).hosts.map((h) => h.netns),
    topology.switchNetns,
  ]);
  const removed = [...names].filter((name) => existing.has(name));
  await removeNetns(removed);
  rmSync(topology.stateDir, { recursive: true, force: true });
  return removed;
}

/** Stops everything running in the lab (appliances included) and removes its namespaces. */
export async function labDown(options: LabOptions = {}): Promise<{ removed: string[] }> {
  requireRoot();
  return { removed: await teardown(currentTopology(options)) };
}

export interface LabInterfaceStatus {
  name: string;
  network: LabNetwork;
  addresses: string[];
  /** The host's side is up and the switch port (the "cable") is plugged in. */
  cable: 'up' | 'down';
}

export interface LabHostStatus {
  label: string;
  role: LabHost['role'];
  netns: string;
  present: boolean;
  interfaces: LabInterfaceStatus[];
  /** Real servers: the page server's pid while it runs. */
  web?: { page: string; running: boolean; pid?: number };
  /** Balancers: pids of `sluice-appliance serve` running in the namespace. */
  appliance?: number[];
}

export interface LabStatus {
  up: boolean;
  pair: boolean;
  tunnel: boolean;
  hosts: LabHostStatus[];
}

interface IpAddrJson {
  ifname: string;
  operstate?: string;
  flags?: string[];
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

async function linkStates(netns: string): Promise<Map<string, IpAddrJson>> {
  const { stdout } = await ip(netns, ['-j', 'addr', 'show']);
  return new Map((JSON.parse(stdout) as IpAddrJson[]).map((link) => [link.ifname, link]));
}

/** The `serve` processes in a namespace (their command line names the CLI and `serve`). */
async function appliancePids(netns: string): Promise<number[]> {
  const pids = await netnsPids(netns);
  return pids.filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv.includes('serve') && argv.some((arg) => /sluice-appliance|cli\.js$/.test(arg));
    } catch {
      return false;
    }
  });
}

export async function labStatus(options: LabOptions = {}): Promise<LabStatus> {
  requireRoot();
  const topology = currentTopology(options);
  const state = readState(topology.stateDir);
  const existing = new Set(await listNetns());
  const switchPorts = existing.has(topology.switchNetns) ? await linkStates(topology.switchNetns) : new Map();
  const hosts: LabHostStatus[] = [];
  for (const host of topology.hosts) {
    const present = existing.has(host.netns);
    const links = present ? await linkStates(host.netns) : new Map<string, IpAddrJson>();
    const interfaces = host.interfaces.map((nic): LabInterfaceStatus => {
      const link = links.get(nic.name);
      const port = switchPorts.get(nic.switchPort);
      const isUp = (l: IpAddrJson | undefined) => (l?.flags ?? []).includes('UP');
      return {
        name: nic.name,
        network: nic.network,
        addresses: (link?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
        cable: isUp(link) && isUp(port) ? 'up' : 'down',
      };
    });
    const rs = topology.realServers.find((r) => r.label === host.label);
    const pid = rs ? pagePid(topology, rs) : undefined;
    const appliance = host.role === 'balancer' && present ? await appliancePids(host.netns) : undefined;
    hosts.push({
      label: host.label,
      role: host.role,
      netns: host.netns,
      present,
      interfaces,
      ...(rs ? { web: { page: rs.page, running: pid !== undefined, ...(pid === undefined ? {} : { pid }) } } : {}),
      ...(appliance ? { appliance } : {}),
    });
  }
  return {
    up: state !== undefined && hosts.every((h) => h.present),
    pair: topology.pair,
    tunnel: state?.tunnel ?? false,
    hosts,
  };
}

function requireUp(topology: LabTopology): void {
  if (readState(topology.stateDir) === undefined) {
    throw new ApplianceError('LAB_FAILED', 'the lab is not up: run `sluice-appliance lab up` first');
  }
}

/**
 * Plugs a host's cable in or pulls it out: its switch ports go up or down, so the host's
 * own interfaces lose carrier but keep their addresses and routes, as with a real cable.
 */
export async function labCable(
  label: string,
  state: 'up' | 'down',
  options: LabOptions & { network?: LabNetwork } = {},
): Promise<{ host: string; ports: string[] }> {
  requireRoot();
  const topology = currentTopology(options);
  requireUp(topology);
  const host = labHost(topology, label);
  const nics = host.interfaces.filter((nic) => options.network === undefined || nic.network === options.network);
  for (const nic of nics) await ip(topology.switchNetns, ['link', 'set', nic.switchPort, state]);
  return { host: host.label, ports: nics.map((nic) => nic.switchPort) };
}

/** Starts or stops a real server's web server (a crashed service, as opposed to a pulled cable). */
export async function labWeb(
  label: string,
  state: 'start' | 'stop',
  options: LabOptions = {},
): Promise<{ page: string; running: boolean; pid?: number }> {
  requireRoot();
  const topology = currentTopology(options);
  requireUp(topology);
  const rs = topology.realServers.find((r) => r.label === label);
  if (!rs) {
    throw new ApplianceError(
      'LAB_FAILED',
      `no real server ${JSON.stringify(label)} (real servers: ${topology.realServers.map((r) => r.label).join(', ')})`,
      { field: 'server' },
    );
  }
  if (state === 'stop') {
    await stopPage(topology, rs);
    return { page: rs.page, running: false };
  }
  const pid = await startPage(topology, rs);
  return { page: rs.page, running: true, pid };
}
