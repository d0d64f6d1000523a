import type { ServiceWithDestinations, ServiceWithSettings } from '../client.js';
import type { Connection } from '../conntable.js';
import { parseAddress } from '../inet.js';
import type { Destination, IpvsInfo, Service, SyncDaemon, Timeouts } from '../types.js';
import type { ListView } from './args.js';
import { TextOut } from './text-out.js';

// Text formats of ipvsadm 1.31 (-Ln, -S -n, -Lnc, --timeout, --daemon), so scripts that
// read ipvsadm's output can read ours.

const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);
const hostPort = (address: string, port: number) =>
  address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;

function serviceName(s: Service): string {
  if (s.fwmark !== undefined) return `FWM  ${s.fwmark}${s.family === 6 ? ' IPv6' : ''}`;
  return `${pad(s.protocol.toUpperCase(), 4)} ${hostPort(s.address, s.port)}`;
}

const PROTOCOL_NUMBERS = { tcp: 6, udp: 17, sctp: 132 } as const;

/**
 * Sort keys of addresses: IPv4 as its number, IPv6 as a string whose characters are its
 * bytes (string order is then byte order). Each address is keyed once per sort.
 */
function addressKeys(): (address: string) => number | string {
  const keys = new Map<string, number | string>();
  return (address) => {
    let k = keys.get(address);
    if (k === undefined) {
      const bytes = parseAddress(address) ?? new Uint8Array(0);
      k =
        bytes.length === 4
          ? (((bytes[0] as number) << 24) |
              ((bytes[1] as number) << 16) |
              ((bytes[2] as number) << 8) |
              (bytes[3] as number)) >>>
            0
          : String.fromCharCode(...bytes);
      keys.set(address, k);
    }
    return k;
  };
}

const order = (x: number | string, y: number | string) => (x < y ? -1 : x > y ? 1 : 0);
const PROTOCOL_ORDER = (s: Service) => (s.protocol ? PROTOCOL_NUMBERS[s.protocol] : 0);

/** Services and their real servers in the order ipvsadm prints them. */
export function sortTable<T extends ServiceWithSettings>(table: readonly T[]): T[] {
  const key = addressKeys();
  // ipvsadm's order: firewall marks last, then family, protocol, address, port. Keys are
  // computed once per entry, not per comparison.
  const services = table.map((s) => ({ s, k: s.address === undefined ? 0 : key(s.address) }));
  services.sort(
    (a, b) =>
      (a.s.fwmark ?? 0) - (b.s.fwmark ?? 0) ||
      a.s.family - b.s.family ||
      PROTOCOL_ORDER(a.s) - PROTOCOL_ORDER(b.s) ||
      order(a.k, b.k) ||
      (a.s.port ?? 0) - (b.s.port ?? 0),
  );
  return services.map(({ s }) => {
    const dests = s.destinations.map((d) => ({ d, k: key(d.address) }));
    dests.sort((a, b) => a.d.family - b.d.family || order(a.k, b.k) || a.d.port - b.d.port);
    return { ...s, destinations: dests.map(({ d }) => d) };
  });
}

function serviceRuleName(s: Service): string {
  if (s.fwmark !== undefined) return `-f ${s.fwmark}${s.family === 6 ? ' -6' : ''}`;
  const option = { tcp: '-t', udp: '-u', sctp: '--sctp-service' }[s.protocol];
  return `${option} ${hostPort(s.address, s.port)}`;
}

function ipv4Mask(prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [mask >>> 24, (mask >>> 16) & 255, (mask >>> 8) & 255, mask & 255].join('.');
}

function schedFlags(s: Service): string[] {
  const prefix = s.scheduler === 'sh' || s.scheduler === 'mh' ? s.scheduler : 'flag';
  const names: string[] = [];
  if (s.schedulerFlags?.fallback) names.push(prefix === 'flag' ? 'flag-1' : `${prefix}-fallback`);
  if (s.schedulerFlags?.port) names.push(prefix === 'flag' ? 'flag-2' : `${prefix}-port`);
  if (s.schedulerFlags?.flag3) names.push('flag-3');
  return names;
}

function persistenceText(s: Service, rule: boolean): string {
  if (!s.persistence) return '';
  const full = s.family === 4 ? 32 : 128;
  const netmask = s.persistence.netmask ?? full;
  let text = rule ? ` -p ${s.persistence.timeout}` : ` persistent ${s.persistence.timeout}`;
  if (netmask !== full) text += `${rule ? ' -M' : ' mask'} ${s.family === 4 ? ipv4Mask(netmask) : netmask}`;
  return text;
}

const FORWARD_NAMES: Record<Destination['forwarding'], string> = {
  nat: 'Masq',
  dr: 'Route',
  tun: 'Tunnel',
  local: 'Local',
  bypass: 'Bypass',
};
const FORWARD_RULES: Record<Destination['forwarding'], string> = {
  nat: '-m',
  dr: '-g',
  tun: '-i',
  local: '-g',
  bypass: '-g',
};

/** ipvsadm's large-number style: exact below 10^8, then K, M, G, T. */
function largeNumber(n: bigint | number): string {
  let value = BigInt(n);
  if (value < 100_000_000n) return lpad(String(value), 8);
  for (const unit of ['K', 'M', 'G', 'T']) {
    value /= 1000n;
    if (value < 10_000_000n) return lpad(`${value}${unit}`, 8);
  }
  return lpad(`${value}T`, 8);
}

const HEADERS: Record<ListView, string> = {
  default:
    'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
  stats: 'Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  -> RemoteAddress:Port',
  rate: 'Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n  -> RemoteAddress:Port',
  thresholds: 'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n  -> RemoteAddress:Port',
  'persistent-conn':
    'Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n  -> RemoteAddress:Port',
};

function serviceLine(s: Service, view: ListView): string {
  const name = serviceName(s);
  if (view === 'stats') {
    const st = s.stats;
    return (
      pad(name, 33) +
      [st.connections, st.inPackets, st.outPackets, st.inBytes, st.outBytes].map((n) => ` ${largeNumber(n)}`).join('')
    );
  }
  if (view === 'rate') {
    const st = s.stats;
    return (
      pad(name, 33) +
      [st.connectionRate, st.inPacketRate, st.outPacketRate, st.inByteRate, st.outByteRate]
        .map((n) => ` ${largeNumber(n)}`)
        .join('')
    );
  }
  const flags = schedFlags(s);
  let line = `${name} ${s.scheduler}${flags.length ? ` (${flags.join(',')})` : ''}${persistenceText(s, false)}`;
  if (s.persistenceEngine) line += ` pe ${s.persistenceEngine}`;
  if (s.onePacket) line += ' ops';
  return line;
}

function destinationLine(out: TextOut, d: Destination, view: ListView): void {
  switch (view) {
    case 'default':
      out.text('  -> ').hostPort(d.address, d.port, 28).text(' ');
      out.padded(FORWARD_NAMES[d.forwarding], 7).text(' ').padded(String(d.weight), 6).text(' ');
      out.padded(String(d.activeConnections), 10).text(' ').padded(String(d.inactiveConnections), 10);
      return;
    case 'stats': {
      const st = d.stats;
      out.text('  -> ').hostPort(d.address, d.port, 28);
      for (const n of [st.connections, st.inPackets, st.outPackets, st.inBytes, st.outBytes])
        out.text(` ${largeNumber(n)}`);
      return;
    }
    case 'rate': {
      const st = d.stats;
      out.text('  -> ').hostPort(d.address, d.port, 28);
      for (const n of [st.connectionRate, st.inPacketRate, st.outPacketRate, st.inByteRate, st.outByteRate]) {
        out.text(` ${largeNumber(n)}`);
      }
      return;
    }
    case 'thresholds':
      out.text('  -> ').hostPort(d.address, d.port, 28).text(' ');
      out.padded(String(d.upperThreshold), 10).text(' ').padded(String(d.lowerThreshold), 10).text(' ');
      out.padded(String(d.activeConnections), 10).text(' ').padded(String(d.inactiveConnections), 10);
      return;
    case 'persistent-conn':
      out.text('  -> ').hostPort(d.address, d.port, 28).text(' ');
      out.padded(String(d.weight), 9).text(' ').padded(String(d.persistentConnections), 11).text(' ');
      out.padded(String(d.activeConnections), 10).text(' ').padded(String(d.inactiveConnections), 10);
      return;
  }
}

/** `ipvsadm -Ln` (and its --stats, --rate, --thresholds, --persistent-conn views). */
export function formatList(info: IpvsInfo, table: readonly ServiceWithDestinations[], view: ListView): string {
  const out = new TextOut();
  out.text(`IP Virtual Server version ${info.version} (size=${info.connectionTableSize})\n${HEADERS[view]}\n`);
  for (const s of sortTable(table)) {
    out.text(serviceLine(s, view)).text('\n');
    for (const d of s.destinations) {
      destinationLine(out, d, view);
      out.text('\n');
    }
  }
  return out.toString();
}

/** `ipvsadm -S -n`: rules that `-R` (ours or ipvsadm's) reads back. */
export function formatSave(table: readonly ServiceWithSettings[]): string {
  const out = new TextOut();
  for (const s of sortTable(table)) {
    const name = serviceRuleName(s);
    out.text('-A ').text(name).text(' -s ').text(s.scheduler).text(persistenceText(s, true));
    if (s.persistenceEngine) out.text(' --pe ').text(s.persistenceEngine);
    if (s.onePacket) out.text(' -o');
    const flags = schedFlags(s);
    if (flags.length) out.text(' -b ').text(flags.join(','));
    out.text('\n');
    for (const d of s.destinations) {
      out.text('-a ').text(name).text(' -r ').hostPort(d.address, d.port, 0);
      out.text(' ').text(FORWARD_RULES[d.forwarding]).text(' -w ').text(String(d.weight));
      if (d.forwarding === 'tun' && d.tunnel) {
        out.text(' --tun-type ').text(d.tunnel.type);
        if (d.tunnel.port) out.text(' --tun-port ').text(String(d.tunnel.port));
        if (d.tunnel.checksum === 'remcsum') out.text(' --tun-remcsum');
        else if (d.tunnel.checksum === 'csum') out.text(' --tun-csum');
        else if (d.tunnel.checksum === 'none') out.text(' --tun-nocsum');
      }
      out.text('\n');
    }
  }
  return out.toString();
}

/** `ipvsadm -Lnc`. */
export function formatConnections(conns: readonly Connection[]): string {
  const lines = ['IPVS connection entries', 'pro expire state       source             virtual            destination'];
  for (const c of conns) {
    const expire = `${String(Math.floor(c.expires / 60)).padStart(2, '0')}:${String(c.expires % 60).padStart(2, '0')}`;
    lines.push(
      `${pad(c.protocol.toUpperCase(), 3)} ${expire}  ${pad(c.state, 11)} ${pad(hostPort(c.client.address, c.client.port), 18)} ${pad(hostPort(c.virtual.address, c.virtual.port), 18)} ${hostPort(c.destination.address, c.destination.port)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export const formatTimeouts = (t: Timeouts) => `Timeout (tcp tcpfin udp): ${t.tcp} ${t.tcpFin} ${t.udp}\n`;

export function formatDaemons(daemons: readonly SyncDaemon[]): string {
  return daemons
    .map((d) => {
      const parts = [`mcast=${d.interface}`, `syncid=${d.syncId}`];
      if (d.maxLength !== undefined) parts.push(`maxlen=${d.maxLength}`);
      if (d.group !== undefined) parts.push(`group=${d.group}`);
      if (d.port !== undefined) parts.push(`port=${d.port}`);
      if (d.ttl !== undefined) parts.push(`ttl=${d.ttl}`);
      return `${d.state} sync daemon (${parts.join(', ')})\n`;
    })
    .join('');
}

/** JSON with 64-bit counters as numbers when exact, else as strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) => (typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v)) : v),
    2,
  );
}
