import { isIP } from 'node:net';
import { ArpFixError } from './errors.js';

/** An address on an interface, from `ip -j addr show`. */
export interface InterfaceAddress {
  ifname: string;
  family: 4 | 6;
  address: string;
  prefix: number;
  /** Extra `ip addr add` arguments that recreate it exactly (broadcast, label, flags). */
  extra?: string[];
}

/** Address flags `ip addr add` accepts back, as `ip -j` reports them (booleans). */
export const ADDRESS_FLAGS = ['nodad', 'noprefixroute', 'home', 'mngtmpaddr', 'optimistic'] as const;

function extraArgs(ifname: string, info: Record<string, unknown>): string[] {
  const extra: string[] = [];
  if (typeof info.broadcast === 'string' && isIP(info.broadcast) === 4) extra.push('brd', info.broadcast);
  if (typeof info.label === 'string' && info.label !== ifname && /^[A-Za-z0-9_.:-]{1,15}$/.test(info.label)) {
    extra.push('label', info.label);
  }
  for (const flag of ADDRESS_FLAGS) if (info[flag] === true) extra.push(flag);
  return extra;
}

/** A netfilter rule that redirects traffic for an address to the local host. */
export interface RedirectRule {
  backend: 'nftables' | 'iptables';
  family: 4 | 6;
  /** nftables table and chain, or the iptables chain in table `nat`. */
  table: string;
  chain: string;
  /** nftables rule handle (for deletion); absent for iptables. */
  handle?: number;
  /** iptables: the rule's specification as iptables-save prints it after `-A CHAIN`. */
  spec?: string[];
  destination: string;
  /** `tcp`, `udp`, ... or undefined when the rule matches every protocol. */
  protocol?: string;
  comment?: string;
}

/** A TCP socket in LISTEN state, from /proc/net/tcp or tcp6. */
export interface Listener {
  family: 4 | 6;
  address: string;
  port: number;
}

function parseError(what: string, cause?: unknown): ArpFixError {
  return new ArpFixError('ARPFIX_PARSE', `cannot parse ${what}`, cause === undefined ? {} : { cause });
}

export function parseIpAddrJson(stdout: string): InterfaceAddress[] {
  let links: unknown;
  try {
    links = JSON.parse(stdout || '[]');
  } catch (error) {
    throw parseError('`ip -j addr show` output', error);
  }
  if (!Array.isArray(links)) throw parseError('`ip -j addr show` output');
  const out: InterfaceAddress[] = [];
  for (const link of links as {
    ifname?: string;
    addr_info?: ({ family?: string; local?: string; prefixlen?: number } & Record<string, unknown>)[];
  }[]) {
    for (const info of link.addr_info ?? []) {
      if (typeof link.ifname !== 'string' || typeof info.local !== 'string' || typeof info.prefixlen !== 'number') {
        continue;
      }
      if (info.family !== 'inet' && info.family !== 'inet6') continue;
      out.push({
        ifname: link.ifname,
        family: info.family === 'inet' ? 4 : 6,
        address: info.local,
        prefix: info.prefixlen,
        ...(() => {
          const extra = extraArgs(link.ifname, info);
          return extra.length > 0 ? { extra } : {};
        })(),
      });
    }
  }
  return out;
}

type NftExpr = Record<string, unknown>;
interface NftRule {
  family: string;
  table: string;
  chain: string;
  handle: number;
  comment?: string;
  expr: NftExpr[];
}
interface NftChain {
  family: string;
  table: string;
  name: string;
  type?: string;
  hook?: string;
}

function stripPrefix(value: string): string {
  return value.replace(/\/(32|128)$/, '');
}

/** Redirect rules in the nat prerouting chains of `nft -j list ruleset` (native and iptables-nft). */
export function parseNftRuleset(stdout: string): RedirectRule[] {
  let doc: { nftables?: Record<string, unknown>[] };
  try {
    doc = JSON.parse(stdout || '{"nftables":[]}') as typeof doc;
  } catch (error) {
    throw parseError('`nft -j list ruleset` output', error);
  }
  if (!Array.isArray(doc.nftables)) throw parseError('`nft -j list ruleset` output');
  const natPrerouting = new Set<string>();
  for (const item of doc.nftables) {
    const chain = item.chain as NftChain | undefined;
    if (chain && chain.type === 'nat' && chain.hook === 'prerouting') {
      natPrerouting.add(`${chain.family}\0${chain.table}\0${chain.name}`);
    }
  }
  const out: RedirectRule[] = [];
  for (const item of doc.nftables) {
    const rule = item.rule as NftRule | undefined;
    if (!rule || !Array.isArray(rule.expr)) continue;
    if (!natPrerouting.has(`${rule.family}\0${rule.table}\0${rule.chain}`)) continue;
    let destination: string | undefined;
    let family: 4 | 6 | undefined;
    let protocol: string | undefined;
    let redirect = false;
    for (const expr of rule.expr) {
      const match = expr.match as
        | { op?: string; left?: Record<string, Record<string, string>>; right?: unknown }
        | undefined;
      if (match && match.op === '==' && match.left) {
        const payload = match.left.payload;
        const meta = match.left.meta;
        if (payload && payload.field === 'daddr' && (payload.protocol === 'ip' || payload.protocol === 'ip6')) {
          if (typeof match.right === 'string') {
            destination = stripPrefix(match.right);
            family = payload.protocol === 'ip' ? 4 : 6;
          }
        } else if (meta && meta.key === 'l4proto') {
          if (typeof match.right === 'string') protocol = match.right;
        } else if (payload && payload.field === 'protocol' && payload.protocol === 'ip') {
          if (typeof match.right === 'string') protocol = match.right;
        } else if (payload && payload.field === 'nexthdr' && payload.protocol === 'ip6') {
          if (typeof match.right === 'string') protocol = match.right;
        }
      }
      if ('redirect' in expr) redirect = true;
      const xt = expr.xt as { type?: string; name?: string } | undefined;
      if (xt && xt.type === 'target' && xt.name === 'REDIRECT') redirect = true;
    }
    if (!redirect || destination === undefined || family === undefined) continue;
    out.push({
      backend: 'nftables',
      family,
      table: rule.table,
      chain: rule.chain,
      handle: rule.handle,
      destination,
      ...(protocol === undefined ? {} : { protocol }),
      ...(rule.comment === undefined ? {} : { comment: rule.comment }),
    });
  }
  return out;
}

/** Redirect rules of PREROUTING in the nat table of `iptables-save -t nat` (or ip6tables-save). */
export function parseIptablesSave(stdout: string, family: 4 | 6): RedirectRule[] {
  const out: RedirectRule[] = [];
  let inNat = false;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('*')) inNat = line === '*nat';
    if (!inNat || !line.startsWith('-A PREROUTING ')) continue;
    const words = line.split(/\s+/).slice(2);
    const at = (flag: string) => {
      const i = words.indexOf(flag);
      return i >= 0 && words[i - 1] !== '!' ? words[i + 1] : undefined;
    };
    const destination = at('-d');
    if (at('-j') !== 'REDIRECT' || destination === undefined) continue;
    const protocol = at('-p');
    out.push({
      backend: 'iptables',
      family,
      table: 'nat',
      chain: 'PREROUTING',
      spec: words,
      destination: stripPrefix(destination),
      ...(protocol === undefined ? {} : { protocol }),
    });
  }
  return out;
}

function hexToIpv4(hex: string): string {
  // The kernel prints the address as a host-order 32-bit word: bytes reversed on little-endian.
  const bytes = [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return (isLittleEndian() ? bytes.reverse() : bytes).join('.');
}

function hexToIpv6(hex: string): string {
  const words: string[] = [];
  for (let w = 0; w < 4; w++) {
    const chunk = hex.slice(w * 8, w * 8 + 8);
    const bytes = [0, 2, 4, 6].map((i) => chunk.slice(i, i + 2));
    const ordered = isLittleEndian() ? bytes.reverse() : bytes;
    words.push(`${ordered[0]}${ordered[1]}`, `${ordered[2]}${ordered[3]}`);
  }
  return new URL(`http://[${words.join(':')}]/`).hostname.slice(1, -1);
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** LISTEN sockets (state 0A) of /proc/net/tcp (family 4) or /proc/net/tcp6 (family 6). */
export function parseProcNetTcp(text: string, family: 4 | 6): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (fields[3] !== '0A' || local === undefined) continue;
    const [hex, portHex] = local.split(':');
    if (hex === undefined || portHex === undefined) continue;
    const expected = family === 4 ? 8 : 32;
    if (hex.length !== expected)
      throw parseError(`/proc/net/tcp${family === 6 ? '6' : ''} line ${JSON.stringify(line)}`);
    out.push({
      family,
      address: family === 4 ? hexToIpv4(hex) : hexToIpv6(hex),
      port: Number.parseInt(portHex, 16),
    });
  }
  return out;
}
