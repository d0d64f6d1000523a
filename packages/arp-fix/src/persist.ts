import type { Method } from './inspect.js';
import type { Change, ChangeRecord } from './record.js';
import { dottedSysctl } from './state.js';
import type { RealServerSystem } from './system.js';
import { checkIfName, checkVips, hostPrefix, type VipSpec } from './validate.js';

export const SYSCTL_FILE = '/etc/sysctl.d/90-sluice-arp-fix.conf';
export const UNIT_NAME = 'sluice-arp-fix.service';
export const UNIT_FILE = `/etc/systemd/system/${UNIT_NAME}`;
export const UNIT_LINK = `/etc/systemd/system/multi-user.target.wants/${UNIT_NAME}`;
export const NFT_FILE = '/etc/sluice-arp-fix/redirect.nft';

export interface PersistOptions {
  vips: readonly (string | VipSpec)[];
  method?: Method;
  /** Interfaces to name in the sysctl file besides `all` and `default` (default: the server's own). */
  interfaces?: readonly string[];
  /** Netfilter front end for the redirect method (default: the one the host uses). */
  netfilter?: 'nftables' | 'iptables';
}

export interface PersistFiles {
  /** Path -> content. */
  files: Record<string, string>;
}

const HEADER = '# Written by sluice-arp-fix: Direct Routing real server (the VIP is not answered by ARP).\n';

/** The files that make the fix survive a reboot, without writing them. */
export function persistFiles(options: PersistOptions & { interfaces: readonly string[] }): PersistFiles {
  const vips = checkVips(options.vips);
  const method = options.method ?? 'arp';
  const interfaces = options.interfaces.map((n, i) => checkIfName(n, `interfaces[${i}]`)).filter((n) => n !== 'lo');
  const files: Record<string, string> = {};
  const start: string[] = [];
  const stop: string[] = [];
  if (method === 'arp') {
    if (vips.some((v) => v.family === 4)) {
      const lines = [HEADER];
      // `default` covers interfaces that appear after boot; systemd-sysctl reapplies per-interface keys when udev adds them.
      for (const ifname of ['all', 'default', ...interfaces]) {
        lines.push(`${dottedSysctl(`net/ipv4/conf/${ifname}/arp_ignore`)} = 1\n`);
        lines.push(`${dottedSysctl(`net/ipv4/conf/${ifname}/arp_announce`)} = 2\n`);
      }
      files[SYSCTL_FILE] = lines.join('');
    }
    for (const vip of vips) {
      const cidr = `${vip.address}/${hostPrefix(vip.family)}`;
      start.push(`ExecStart=/usr/sbin/ip addr replace ${cidr} dev lo`);
      stop.push(`ExecStop=-/usr/sbin/ip addr del ${cidr} dev lo`);
    }
  } else if ((options.netfilter ?? 'nftables') === 'nftables') {
    const rules = vips
      .map((v) => `    ip daddr ${v.address} meta l4proto tcp redirect comment "sluice-arp-fix"\n`)
      .join('');
    files[NFT_FILE] = [
      HEADER,
      'table ip sluice_arp_fix\n',
      'delete table ip sluice_arp_fix\n',
      'table ip sluice_arp_fix {\n',
      '  chain prerouting {\n',
      '    type nat hook prerouting priority dstnat; policy accept;\n',
      rules,
      '  }\n',
      '}\n',
    ].join('');
    start.push(`ExecStart=/usr/sbin/nft -f ${NFT_FILE}`);
    stop.push('ExecStop=-/usr/sbin/nft delete table ip sluice_arp_fix');
  } else {
    for (const vip of vips) {
      start.push(`ExecStart=/usr/sbin/iptables -t nat -A PREROUTING -d ${vip.address}/32 -p tcp -j REDIRECT`);
      stop.push(`ExecStop=-/usr/sbin/iptables -t nat -D PREROUTING -d ${vip.address}/32 -p tcp -j REDIRECT`);
    }
  }
  files[UNIT_FILE] = [
    HEADER,
    '[Unit]\n',
    `Description=Direct Routing VIPs for sluice (${method === 'arp' ? 'VIP on lo' : 'netfilter redirect'})\n`,
    'After=systemd-sysctl.service network-pre.target\n',
    'Wants=network-pre.target\n',
    'Before=network.target\n',
    '\n[Service]\n',
    'Type=oneshot\n',
    'RemainAfterExit=yes\n',
    ...start.map((l) => `${l}\n`),
    ...stop.map((l) => `${l}\n`),
    '\n[Install]\n',
    'WantedBy=multi-user.target\n',
  ].join('');
  return { files };
}

/**
 * Writes the sysctl.d file and the systemd unit under the system's root, enables the unit
 * (the symbolic link `systemctl enable` makes), and records what each file held before.
 */
export async function persist(system: RealServerSystem, options: PersistOptions): Promise<ChangeRecord> {
  const interfaces = options.interfaces ?? (await system.interfaces());
  const { files } = persistFiles({ ...options, interfaces });
  const changes: Change[] = [];
  for (const [path, after] of Object.entries(files)) {
    const before = (await system.readFile(path)) ?? null;
    if (before === after) continue;
    await system.writeFile(path, after);
    changes.push({ kind: 'file', path, before, after });
  }
  if ((await system.readLink(UNIT_LINK)) === undefined) {
    await system.symlink(UNIT_FILE, UNIT_LINK);
    changes.push({ kind: 'symlink', path: UNIT_LINK, target: UNIT_FILE });
  }
  return {
    version: 1,
    operation: 'persist',
    method: options.method ?? 'arp',
    vips: checkVips(options.vips).map((v) => v.address),
    at: new Date().toISOString(),
    changes,
  };
}
