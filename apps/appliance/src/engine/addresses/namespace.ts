/**
 * Addresses inside a named network namespace (`serve --netns NAME`): read, added and
 * removed with `ip -n NAME`, so that VIPs and floating IPs land on the namespace's
 * interfaces and never on the daemon's own. An rtnetlink socket belongs to the namespace
 * it was opened in and Node cannot switch a thread's namespace; iproute2 switches for us,
 * as `ip netns exec` does for IPVS's netlink worker and for HAProxy.
 */
import { execFile } from 'node:child_process';
import type { AddressControl, Cidr, InterfaceInfo } from '@sluice/heartbeat';
import { ApplianceError } from '../../errors.js';
import type { InterfaceAddress } from './driver.js';

/** What `ip netns add` accepts as a name (a file under /run/netns). */
const NETNS = /^[A-Za-z0-9_.-]{1,64}$/;
/** `ip` may wait on a busy rtnetlink: a takeover must not hang on it for ever. */
const IP_TIMEOUT_MS = 10_000;
/**
 * How long one reading of an interface answers for it: each added address is announced
 * with the interface's MAC, and a takeover of hundreds of VIPs must not run `ip link` for each.
 */
const LINK_TTL_MS = 1000;

/** Throws ENGINE_UNAVAILABLE (field `netns`) for a name `ip netns` would not take. */
export function checkNetnsName(netns: string): string {
  if (!NETNS.test(netns) || netns.startsWith('.')) {
    throw new ApplianceError('ENGINE_UNAVAILABLE', `netns ${JSON.stringify(netns)} is not a namespace name`, {
      field: 'netns',
    });
  }
  return netns;
}

interface IpResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

function ipIn(netns: string, args: readonly string[]): Promise<IpResult> {
  return new Promise((resolve) => {
    execFile(
      'ip',
      ['-n', netns, ...args],
      { encoding: 'utf8', timeout: IP_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ ok: error === null, stdout, stderr: stderr || String(error ?? '') }),
    );
  });
}

interface IpAddrJson {
  ifname?: string;
  addr_info?: { local?: string; prefixlen?: number }[];
}

/** Every address on the namespace's interfaces (`ip -n NAME -j addr show`). */
export async function namespaceAddresses(netns: string): Promise<InterfaceAddress[]> {
  const result = await ipIn(netns, ['-j', 'addr', 'show']);
  if (!result.ok) {
    throw new ApplianceError(
      'ENGINE_APPLY_FAILED',
      `listing the addresses of netns ${netns}: ${result.stderr.trim()}`,
      {
        field: 'netns',
      },
    );
  }
  const out: InterfaceAddress[] = [];
  for (const link of JSON.parse(result.stdout || '[]') as IpAddrJson[]) {
    for (const a of link.addr_info ?? []) {
      if (link.ifname && a.local && a.prefixlen !== undefined) {
        out.push({ interface: link.ifname, address: a.local, prefix: a.prefixlen });
      }
    }
  }
  return out;
}

const cidrText = (cidr: Cidr) => `${cidr.address}/${cidr.prefix}`;

/** heartbeat's AddressControl over `ip -n NAME`: what FloatingIp adds, removes and announces from. */
export class NamespaceAddresses implements AddressControl {
  readonly netns: string;
  /** ifname -> its reading (shared by concurrent callers) and when it was taken. */
  private readonly links = new Map<string, { at: number; info: Promise<InterfaceInfo> }>();

  constructor(netns: string) {
    this.netns = checkNetnsName(netns);
  }

  interfaceInfo(ifname: string): Promise<InterfaceInfo> {
    const known = this.links.get(ifname);
    if (known !== undefined && Date.now() - known.at < LINK_TTL_MS) return known.info;
    const info = this.readInterface(ifname);
    this.links.set(ifname, { at: Date.now(), info });
    // A failed reading is not kept: the interface may appear a moment later.
    info.catch(() => this.links.get(ifname)?.info === info && this.links.delete(ifname));
    return info;
  }

  private async readInterface(ifname: string): Promise<InterfaceInfo> {
    const result = await ipIn(this.netns, ['-j', 'link', 'show', 'dev', ifname]);
    const link = result.ok
      ? (JSON.parse(result.stdout || '[]') as { ifindex?: number; address?: string }[])[0]
      : undefined;
    if (link?.ifindex === undefined) {
      throw new ApplianceError('ENGINE_APPLY_FAILED', `no interface ${ifname} in netns ${this.netns}`, {
        field: 'interface',
      });
    }
    const mac = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(link.address ?? '')
      ? Buffer.from((link.address as string).replaceAll(':', ''), 'hex')
      : Buffer.alloc(6);
    return { index: link.ifindex, mac };
  }

  async add(ifname: string, cidr: Cidr): Promise<'added' | 'present'> {
    // No DAD for IPv6, as RtnetlinkAddresses: the address must answer at once.
    const flags = cidr.family === 6 ? ['nodad'] : [];
    const result = await ipIn(this.netns, ['addr', 'add', cidrText(cidr), 'dev', ifname, ...flags]);
    if (result.ok) return 'added';
    // EEXIST: "RTNETLINK answers: File exists", or with extended acks "Address already assigned".
    if (/File exists|already assigned/i.test(result.stderr)) return 'present';
    throw new ApplianceError(
      'ENGINE_APPLY_FAILED',
      `adding ${cidrText(cidr)} to ${ifname} in netns ${this.netns} failed: ${result.stderr.trim()}`,
      { field: 'address' },
    );
  }

  async remove(ifname: string, cidr: Cidr): Promise<'removed' | 'absent'> {
    const result = await ipIn(this.netns, ['addr', 'del', cidrText(cidr), 'dev', ifname]);
    if (result.ok) return 'removed';
    // EADDRNOTAVAIL ("Cannot assign requested address", or "Address not found"), or the interface is gone.
    if (/Cannot assign requested address|address not found|Cannot find device/i.test(result.stderr)) return 'absent';
    throw new ApplianceError(
      'ENGINE_APPLY_FAILED',
      `removing ${cidrText(cidr)} from ${ifname} in netns ${this.netns} failed: ${result.stderr.trim()}`,
      { field: 'address' },
    );
  }

  close(): void {
    // No socket held: each call is its own `ip` process.
    this.links.clear();
  }
}
