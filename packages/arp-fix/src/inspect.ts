import type { InterfaceAddress, Listener, RedirectRule } from './parse.js';
import { arpSysctls, dottedSysctl, type NetfilterBackend, readState, type ServerState } from './state.js';
import type { RealServerSystem } from './system.js';
import { type CheckedVip, checkVips, hostPrefix, sameAddress, type VipSpec } from './validate.js';

/** Method 1 of the manual (netfilter redirect) and method 2 (ARP sysctls plus the VIP on `lo`). */
export type Method = 'redirect' | 'arp';

export type FindingCode =
  /** Neither on `lo` nor redirected: the server drops what the director forwards. */
  | 'VIP_NOT_ACCEPTED'
  /** On a real interface: the server answers ARP/ND for the VIP and steals the director's traffic. */
  | 'VIP_ON_INTERFACE'
  /** On `lo` with a prefix wider than /32 or /128: `lo` claims the whole subnet. */
  | 'VIP_PREFIX'
  /** Effective arp_ignore below 1 on an interface: it answers ARP for the VIP held on `lo`. */
  | 'ARP_IGNORE'
  /** Effective arp_announce below 2 on an interface: it may announce the VIP as ARP source. */
  | 'ARP_ANNOUNCE'
  /** Nothing listens on the VIP (or on all addresses) for a service port. */
  | 'NO_LISTENER';

export interface Finding {
  code: FindingCode;
  message: string;
  /** Commands that fix it, to run as root on the real server, in order. */
  remedy: string[];
}

export interface InterfaceArp {
  ifname: string;
  arpIgnore: number | undefined;
  arpAnnounce: number | undefined;
  /** What the kernel applies: the larger of `all` and the interface's own value. */
  effectiveIgnore: number;
  effectiveAnnounce: number;
}

export interface PortCheck {
  port: number;
  listening: boolean;
  /** Addresses that listen on the port and accept the VIP's traffic. */
  on: string[];
}

export interface VipReport {
  vip: string;
  family: 4 | 6;
  verdict: 'ok' | 'problem';
  /** How the server accepts the VIP's traffic now. */
  method: Method | 'none';
  /** The VIP on `lo`, with its prefix length. */
  loopback: { prefix: number } | undefined;
  /** Non-loopback interfaces that hold the VIP. */
  onInterfaces: string[];
  redirects: RedirectRule[];
  /** IPv4 only: `all` and each interface (ARP does not exist for IPv6). */
  arp:
    | { all: { arpIgnore: number | undefined; arpAnnounce: number | undefined }; interfaces: InterfaceArp[] }
    | undefined;
  ports: PortCheck[];
  findings: Finding[];
}

export interface InspectReport {
  ok: boolean;
  netfilter: NetfilterBackend | 'none';
  vips: VipReport[];
}

export interface InspectOptions {
  vips: readonly (string | VipSpec)[];
}

/** Reads the server once and judges each VIP. */
export async function inspect(system: RealServerSystem, options: InspectOptions): Promise<InspectReport> {
  const vips = checkVips(options.vips);
  return judge(await readState(system), vips);
}

function num(value: string | undefined): number | undefined {
  if (value === undefined || !/^-?\d+$/.test(value)) return undefined;
  return Number(value);
}

export function redirectCommand(backend: NetfilterBackend | 'none', vip: string): string {
  return backend === 'nftables'
    ? `nft add rule ip sluice_arp_fix prerouting ip daddr ${vip} meta l4proto tcp redirect comment '"sluice-arp-fix"'`
    : `iptables -t nat -A PREROUTING -p tcp -d ${vip} -j REDIRECT`;
}

/** The judgement alone, on a state already read: pure, so unit tests need no system at all. */
export function judge(state: ServerState, vips: CheckedVip[]): InspectReport {
  const reports = vips.map((vip) => judgeVip(state, vip));
  return { ok: reports.every((r) => r.verdict === 'ok'), netfilter: state.netfilter.backend, vips: reports };
}

function judgeVip(state: ServerState, vip: CheckedVip): VipReport {
  const findings: Finding[] = [];
  const host = hostPrefix(vip.family);
  const holders = state.addresses.filter(
    (a: InterfaceAddress) => a.family === vip.family && sameAddress(a.address, vip.address),
  );
  const onLo = holders.find((a) => a.ifname === 'lo');
  const onInterfaces = holders.filter((a) => a.ifname !== 'lo');
  const redirects = state.netfilter.redirects.filter(
    (r) => r.family === vip.family && sameAddress(r.destination, vip.address) && (r.protocol ?? 'tcp') === 'tcp',
  );
  const method: Method | 'none' = onLo ? 'arp' : redirects.length > 0 ? 'redirect' : 'none';

  if (onLo && onLo.prefix !== host) {
    findings.push({
      code: 'VIP_PREFIX',
      message: `${vip.address} is on lo as /${onLo.prefix}: lo then claims the whole prefix; it must be /${host}`,
      remedy: [`ip addr del ${vip.address}/${onLo.prefix} dev lo`, `ip addr add ${vip.address}/${host} dev lo`],
    });
  }

  let arp: VipReport['arp'];
  // Method 2 as the manual gives it: `all` and each interface raised to 1 / 2 (apply does the same).
  let ignoreFix: string[] = [];
  let announceFix: string[] = [];
  if (vip.family === 4) {
    const all = arpSysctls('all');
    const allIgnore = num(state.sysctls[all.ignore]);
    const allAnnounce = num(state.sysctls[all.announce]);
    const interfaces = state.interfaces
      .filter((i) => i !== 'lo')
      .map((ifname): InterfaceArp => {
        const keys = arpSysctls(ifname);
        const arpIgnore = num(state.sysctls[keys.ignore]);
        const arpAnnounce = num(state.sysctls[keys.announce]);
        return {
          ifname,
          arpIgnore,
          arpAnnounce,
          effectiveIgnore: Math.max(allIgnore ?? 0, arpIgnore ?? 0),
          effectiveAnnounce: Math.max(allAnnounce ?? 0, arpAnnounce ?? 0),
        };
      });
    arp = { all: { arpIgnore: allIgnore, arpAnnounce: allAnnounce }, interfaces };
    const raise = (key: 'arp_ignore' | 'arp_announce', target: number, values: [string, number | undefined][]) =>
      values
        .filter(([, value]) => (value ?? 0) < target)
        .map(([ifname]) => `sysctl -w ${dottedSysctl(`net/ipv4/conf/${ifname}/${key}`)}=${target}`);
    ignoreFix = raise('arp_ignore', 1, [
      ['all', allIgnore],
      ...interfaces.map((i): [string, number | undefined] => [i.ifname, i.arpIgnore]),
    ]);
    announceFix = raise('arp_announce', 2, [
      ['all', allAnnounce],
      ...interfaces.map((i): [string, number | undefined] => [i.ifname, i.arpAnnounce]),
    ]);
    const badIgnore = interfaces.filter((i) => i.effectiveIgnore < 1).map((i) => i.ifname);
    const badAnnounce = interfaces.filter((i) => i.effectiveAnnounce < 2).map((i) => i.ifname);
    // The sysctls matter once the VIP is local (on lo); with the redirect method it is not local at all.
    if (onLo && badIgnore.length > 0) {
      findings.push({
        code: 'ARP_IGNORE',
        message: `arp_ignore is below 1 on ${badIgnore.join(', ')}: ${badIgnore.length > 1 ? 'they answer' : 'it answers'} ARP requests for the VIP held on lo`,
        remedy: ignoreFix,
      });
    }
    if (onLo && badAnnounce.length > 0) {
      findings.push({
        code: 'ARP_ANNOUNCE',
        message: `arp_announce is below 2 on ${badAnnounce.join(', ')}: ARP requests may carry the VIP as sender and poison neighbours' caches`,
        remedy: announceFix,
      });
    }
  }
  // What it takes to move to method 2 when the VIP is not on lo yet.
  const toLoopback = [...interleave(ignoreFix, announceFix), `ip addr add ${vip.address}/${host} dev lo`];

  for (const a of onInterfaces) {
    findings.push({
      code: 'VIP_ON_INTERFACE',
      message: `${vip.address}/${a.prefix} is on ${a.ifname}: this server answers ${vip.family === 4 ? 'ARP' : 'neighbour solicitations'} for the VIP and takes traffic meant for the director`,
      remedy: [
        `ip addr del ${vip.address}/${a.prefix} dev ${a.ifname}`,
        ...(onLo || a !== onInterfaces[0] ? [] : toLoopback),
      ],
    });
  }
  if (method === 'none' && onInterfaces.length === 0) {
    const remedy = toLoopback;
    findings.push({
      code: 'VIP_NOT_ACCEPTED',
      message:
        vip.family === 4
          ? `${vip.address} is neither on lo nor redirected by netfilter: packets the director forwards are dropped (method 2: arp_ignore/arp_announce and the VIP on lo; or method 1: ${redirectCommand(state.netfilter.backend, vip.address)})`
          : `${vip.address} is not on lo: packets the director forwards are dropped (IPv6 has only method 2: the VIP on lo as /128)`,
      remedy,
    });
  }

  const ports = vip.ports.map((port) => checkPort(state.listeners, vip, port, method === 'redirect' && !onLo));
  for (const p of ports.filter((x) => !x.listening)) {
    findings.push({
      code: 'NO_LISTENER',
      message:
        method === 'redirect' && !onLo
          ? `nothing listens on all addresses on port ${p.port}: the redirect delivers to the interface's own address, so a service bound to the VIP alone never sees it`
          : `nothing listens on ${vip.family === 6 ? `[${vip.address}]` : vip.address}:${p.port} or on all addresses for that port`,
      remedy: [`start the service on port ${p.port}, bound to ${vip.address} or to all addresses`],
    });
  }

  return {
    vip: vip.address,
    family: vip.family,
    verdict: findings.length === 0 ? 'ok' : 'problem',
    method,
    loopback: onLo ? { prefix: onLo.prefix } : undefined,
    onInterfaces: onInterfaces.map((a) => a.ifname),
    redirects,
    arp,
    ports,
    findings,
  };
}

/** all.ignore, all.announce, eth0.ignore, ...: the order a person would type them in. */
function interleave(ignore: string[], announce: string[]): string[] {
  const key = (cmd: string) => cmd.replace(/\.arp_(ignore|announce)=\d$/, '');
  const order = [...new Set([...ignore, ...announce].map(key))];
  return order.flatMap((k) => [...ignore, ...announce].filter((c) => key(c) === k));
}

function checkPort(listeners: Listener[], vip: CheckedVip, port: number, wildcardOnly: boolean): PortCheck {
  const on = listeners
    .filter((l) => l.port === port)
    .filter((l) => {
      // A wildcard IPv6 socket also takes IPv4 unless it is v6only, which /proc does not show.
      const wild = l.address === '0.0.0.0' ? vip.family === 4 : l.address === '::';
      if (wild) return true;
      return !wildcardOnly && l.family === vip.family && sameAddress(l.address, vip.address);
    })
    .map((l) => (l.family === 6 ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`));
  return { port, listening: on.length > 0, on: [...new Set(on)] };
}
