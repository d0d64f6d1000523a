import { canonicalAddress } from './inet.js';

export interface Endpoint {
  address: string;
  port: number;
}

/** One entry of the IPVS connection table (/proc/net/ip_vs_conn). */
export interface Connection {
  /** tcp, udp, sctp; `ip` for persistence templates. */
  protocol: string;
  client: Endpoint;
  virtual: Endpoint;
  destination: Endpoint;
  /** TCP states as the kernel names them: ESTABLISHED, SYN_RECV, FIN_WAIT, TIME_WAIT, CLOSE, ...; UDP, NONE. */
  state: string;
  /** Seconds until the entry expires. */
  expires: number;
  persistenceEngine?: { name: string; data: string };
}

function address(text: string): string {
  // IPv4 is 8 hex digits (the address as a big-endian number); IPv6 is the full %pI6 form.
  if (text.includes(':')) return canonicalAddress(text);
  const n = Number.parseInt(text, 16);
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

const endpoint = (addr: string | undefined, port: string | undefined): Endpoint => ({
  address: address(addr ?? ''),
  port: Number.parseInt(port ?? '0', 16),
});

/** Parses the text of /proc/net/ip_vs_conn; unknown lines are skipped, never guessed at. */
export function parseConnections(text: string): Connection[] {
  const out: Connection[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 9 || f[0] === 'Pro') continue;
    const [pro, from, fport, to, tport, dest, dport, state, expires, peName, peData] = f;
    const addr = /^([0-9A-F]{8}|[0-9a-f:]{2,39})$/i;
    const port = /^[0-9A-F]{4}$/i;
    if (![from, to, dest].every((a) => addr.test(a ?? '')) || ![fport, tport, dport].every((p) => port.test(p ?? '')))
      continue;
    if (!/^\d+$/.test(expires ?? '')) continue;
    const conn: Connection = {
      protocol: (pro ?? '').toLowerCase(),
      client: endpoint(from, fport),
      virtual: endpoint(to, tport),
      destination: endpoint(dest, dport),
      state: state ?? '',
      expires: Number(expires),
    };
    if (peName) conn.persistenceEngine = { name: peName, data: peData ?? '' };
    out.push(conn);
  }
  return out;
}
