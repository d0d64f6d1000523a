import {
  type InterfaceAddress,
  type Listener,
  parseIpAddrJson,
  parseIptablesSave,
  parseNftRuleset,
  parseProcNetTcp,
  type RedirectRule,
} from './parse.js';
import type { RealServerSystem } from './system.js';

export type NetfilterBackend = 'nftables' | 'iptables';

/** The sysctl paths (relative to /proc/sys) that decide ARP behaviour for one interface. */
export function arpSysctls(ifname: string): { ignore: string; announce: string } {
  return { ignore: `net/ipv4/conf/${ifname}/arp_ignore`, announce: `net/ipv4/conf/${ifname}/arp_announce` };
}

/** `net/ipv4/conf/eth0.100/arp_ignore` -> `net.ipv4.conf.eth0/100.arp_ignore` (sysctl's notation). */
export function dottedSysctl(path: string): string {
  return path
    .split('/')
    .map((part) => part.replaceAll('.', '/'))
    .join('.');
}

/** What the package looks at on a real server, read once. */
export interface ServerState {
  interfaces: string[];
  /** Sysctl values by path relative to /proc/sys (`net/ipv4/conf/all/arp_ignore`). */
  sysctls: Record<string, string>;
  addresses: InterfaceAddress[];
  netfilter: { backend: NetfilterBackend | 'none'; redirects: RedirectRule[] };
  listeners: Listener[];
}

/**
 * Which netfilter front end the host uses: iptables-legacy when `iptables -V` says so
 * (its rules are invisible to nft), else nftables when `nft` exists (it also sees the
 * rules of iptables-nft), else iptables, else none.
 */
export async function detectNetfilter(system: RealServerSystem): Promise<NetfilterBackend | 'none'> {
  const version = await probe(system, 'iptables', ['-V']);
  if (version?.includes('legacy')) return 'iptables';
  if ((await probe(system, 'nft', ['--version'])) !== undefined) return 'nftables';
  return version === undefined ? 'none' : 'iptables';
}

async function probe(system: RealServerSystem, command: string, args: string[]): Promise<string | undefined> {
  try {
    const result = await system.tryRun(command, args);
    return result.exitCode === 0 ? result.stdout : undefined;
  } catch (error) {
    if ((error as { code?: string }).code === 'ARPFIX_MISSING_BINARY') return undefined;
    throw error;
  }
}

export async function readRedirects(
  system: RealServerSystem,
  backend: NetfilterBackend | 'none',
): Promise<RedirectRule[]> {
  if (backend === 'nftables') return parseNftRuleset((await system.run('nft', ['-j', 'list', 'ruleset'])).stdout);
  if (backend === 'iptables') {
    const v4 = parseIptablesSave((await system.run('iptables-save', ['-t', 'nat'])).stdout, 4);
    const v6text = await probe(system, 'ip6tables-save', ['-t', 'nat']);
    return [...v4, ...(v6text === undefined ? [] : parseIptablesSave(v6text, 6))];
  }
  return [];
}

export async function readAddresses(system: RealServerSystem): Promise<InterfaceAddress[]> {
  return parseIpAddrJson((await system.run('ip', ['-j', 'addr', 'show'])).stdout);
}

export async function readSysctl(system: RealServerSystem, path: string): Promise<string | undefined> {
  return (await system.readNetProc(`/proc/sys/${path}`))?.trim();
}

export async function readListeners(system: RealServerSystem): Promise<Listener[]> {
  const v4 = await system.readNetProc('/proc/net/tcp');
  const v6 = await system.readNetProc('/proc/net/tcp6');
  return [...(v4 ? parseProcNetTcp(v4, 4) : []), ...(v6 ? parseProcNetTcp(v6, 6) : [])];
}

export async function readState(system: RealServerSystem): Promise<ServerState> {
  const interfaces = await system.interfaces();
  const sysctls: Record<string, string> = {};
  for (const ifname of ['all', ...interfaces]) {
    for (const path of Object.values(arpSysctls(ifname))) {
      const value = await readSysctl(system, path);
      if (value !== undefined) sysctls[path] = value;
    }
  }
  const backend = await detectNetfilter(system);
  return {
    interfaces,
    sysctls,
    addresses: await readAddresses(system),
    netfilter: { backend, redirects: await readRedirects(system, backend) },
    listeners: await readListeners(system),
  };
}
