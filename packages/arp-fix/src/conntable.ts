import { ArpFixError } from './errors.js';

/** One entry of /proc/net/ip_vs_conn. */
export interface IpvsConnection {
  protocol: string;
  client: string;
  clientPort: number;
  vip: string;
  vport: number;
  realServer: string;
  realPort: number;
  state: string;
  expiresSeconds: number;
}

/** A real server of /proc/net/ip_vs with its forwarding method. */
export interface IpvsDestination {
  protocol: string;
  vip: string;
  vport: number;
  realServer: string;
  realPort: number;
  /** `Route` is Direct Routing; `Masq` NAT; `Tunnel`; `Local`. */
  forward: string;
}

function hexAddress(text: string): string {
  if (/^[0-9A-Fa-f]{8}$/.test(text)) {
    // IPVS prints IPv4 in network order as 8 hex digits.
    return [0, 2, 4, 6].map((i) => Number.parseInt(text.slice(i, i + 2), 16)).join('.');
  }
  // IPv6 is printed as an address (`%pI6`), possibly in brackets.
  const bare = text.replace(/^\[|\]$/g, '');
  return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
}

function port(text: string | undefined): number {
  return Number.parseInt(text ?? '', 16);
}

export function parseIpvsConn(text: string): IpvsConnection[] {
  const out: IpvsConnection[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 9 || f[0] === 'Pro') continue;
    try {
      out.push({
        protocol: f[0] ?? '',
        client: hexAddress(f[1] ?? ''),
        clientPort: port(f[2]),
        vip: hexAddress(f[3] ?? ''),
        vport: port(f[4]),
        realServer: hexAddress(f[5] ?? ''),
        realPort: port(f[6]),
        state: f[7] ?? '',
        expiresSeconds: Number(f[8]),
      });
    } catch (error) {
      throw new ArpFixError('ARPFIX_PARSE', `/proc/net/ip_vs_conn line ${JSON.stringify(line)}`, { cause: error });
    }
  }
  return out;
}

/** Parses /proc/net/ip_vs: each `-> RIP:RPORT Forward ...` under its `TCP VIP:VPORT` service. */
export function parseIpvsServices(text: string): IpvsDestination[] {
  const out: IpvsDestination[] = [];
  let service: { protocol: string; vip: string; vport: number } | undefined;
  const split = (hostPort: string): [string, number] => {
    const at = hostPort.lastIndexOf(':');
    return [hexAddress(hostPort.slice(0, at)), port(hostPort.slice(at + 1))];
  };
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if ((f[0] === 'TCP' || f[0] === 'UDP' || f[0] === 'SCTP') && f[1]) {
      const [vip, vport] = split(f[1]);
      service = { protocol: f[0], vip, vport };
    } else if (f[0] === 'FWM') {
      service = undefined;
    } else if (f[0] === '->' && service && f[1] && f[2] && f[1] !== 'RemoteAddress:Port') {
      const [realServer, realPort] = split(f[1]);
      out.push({ ...service, realServer, realPort, forward: f[2] });
    }
  }
  return out;
}

export interface StuckGroup {
  vip: string;
  vport: number;
  realServer: string;
  realPort: number;
  synRecv: number;
  established: number;
  /** Probable when a DR real server has half-open connections and hardly any established. */
  suspect: boolean;
  likelyCause: string;
}

export interface DetectOptions {
  /** Only services whose real servers are Direct Routing count; from /proc/net/ip_vs. */
  destinations: readonly IpvsDestination[];
  /** SYN_RECV entries a real server needs before it is a suspect (default 3). */
  minStuck?: number;
}

const CAUSE =
  'the real server does not accept packets for the VIP (VIP not on lo and no redirect rule), or it answers ARP for the VIP so its replies or the clients go around the director: run `sluice-arp-fix inspect` on it';

/**
 * Connections to Direct Routing services stuck in SYN_RECV, grouped by real server. In DR the
 * director sees only the client's side: a SYN whose handshake never completes stays SYN_RECV.
 */
export function detectStuck(connections: readonly IpvsConnection[], options: DetectOptions): StuckGroup[] {
  const minStuck = options.minStuck ?? 3;
  const dr = new Set(
    options.destinations
      .filter((d) => d.forward === 'Route')
      .map((d) => `${d.protocol}|${d.vip}|${d.vport}|${d.realServer}|${d.realPort}`),
  );
  const groups = new Map<string, StuckGroup>();
  for (const c of connections) {
    if (c.protocol !== 'TCP') continue;
    const key = `${c.protocol}|${c.vip}|${c.vport}|${c.realServer}|${c.realPort}`;
    if (!dr.has(key)) continue;
    let group = groups.get(key);
    if (!group) {
      group = {
        vip: c.vip,
        vport: c.vport,
        realServer: c.realServer,
        realPort: c.realPort,
        synRecv: 0,
        established: 0,
        suspect: false,
        likelyCause: CAUSE,
      };
      groups.set(key, group);
    }
    if (c.state === 'SYN_RECV') group.synRecv++;
    if (c.state === 'ESTABLISHED') group.established++;
  }
  const out = [...groups.values()].filter((g) => g.synRecv > 0);
  for (const g of out) g.suspect = g.synRecv >= minStuck && g.synRecv > g.established;
  return out.sort((a, b) => b.synRecv - a.synRecv);
}
