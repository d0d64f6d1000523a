/**
 * keepalived's `virtual_server_group`: addresses with ports, address ranges and firewall
 * marks that share one virtual server's block. Each becomes its own Layer 4 service here.
 */
import { isIP, isIPv4 } from 'node:net';
import { importInvalid, intToIpv4, ipv4ToInt, type Origin, prefixLength } from '../lvs-shared.js';
import { type Context, intArg, mapped } from './context.js';
import type { Directive } from './parse.js';

/** One virtual address and port, or one mark (`vip` then only says the family: 0.0.0.0 or ::; empty: not said). */
export interface GroupTarget {
  vip: string;
  port?: number;
  fwmark?: number;
}

export interface Group {
  name: string;
  at: Origin;
  entries: Directive[];
  used: boolean;
}

/** A range wider than this is refused rather than turned into thousands of services. */
const MAX_RANGE = 256;

export function readGroups(ctx: Context, tree: Directive[]): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const d of tree) {
    if (d.keyword !== 'virtual_server_group') continue;
    const name = d.args[0];
    if (name === undefined || d.block === undefined)
      throw importInvalid(d, 'virtual_server_group needs a name and a block');
    if (groups.has(name)) throw importInvalid(d, `virtual_server_group ${JSON.stringify(name)} is defined twice`);
    groups.set(name, { name, at: d, entries: d.block, used: false });
    mapped(ctx);
  }
  return groups;
}

/** The first and last address of an IPv4 range (`.1-10`, `a-b`, `/29`); undefined when it is none. */
function ipv4Range(text: string): [number, number] | undefined {
  const slash = text.indexOf('/');
  if (slash !== -1) {
    const base = text.slice(0, slash);
    const bits = prefixLength(text.slice(slash + 1), 32);
    if (!isIPv4(base) || bits === undefined) return undefined;
    const size = 2 ** (32 - bits);
    const first = Math.floor(ipv4ToInt(base) / size) * size;
    return [first, first + size - 1];
  }
  const dash = text.indexOf('-');
  const base = text.slice(0, dash);
  const end = text.slice(dash + 1);
  if (!isIPv4(base)) return undefined;
  if (isIPv4(end)) return [ipv4ToInt(base), ipv4ToInt(end)];
  if (!/^\d{1,3}$/.test(end) || Number(end) > 255) return undefined;
  return [ipv4ToInt(base), ipv4ToInt(base) - (ipv4ToInt(base) % 256) + Number(end)];
}

/** The targets one group entry names (noted and none for what cannot be expanded). */
export function expandGroupEntry(ctx: Context, entry: Directive): GroupTarget[] {
  if (entry.keyword === 'fwmark') {
    const family = entry.args[1];
    return [
      { vip: family === 'inet6' ? '::' : family === 'inet' ? '0.0.0.0' : '', fwmark: intArg(entry, 0, 1, 4294967295) },
    ];
  }
  const port = entry.args[0] === undefined ? undefined : intArg(entry, 0, 0, 65535);
  if (port === undefined || port === 0) {
    ctx.notes.add(
      entry,
      entry.keyword,
      'unsupported',
      'a service on every port (no port, or port 0) has no counterpart; left out',
    );
    return [];
  }
  const text = entry.keyword;
  if (!text.includes('-') && !text.includes('/')) {
    if (isIP(text) === 0) throw importInvalid(entry, `${JSON.stringify(text)} is not an IP address or range`);
    return [{ vip: text, port }];
  }
  const range = ipv4Range(text);
  if (range === undefined) {
    if (text.includes(':')) {
      ctx.notes.add(entry, text, 'unsupported', 'IPv6 address ranges are not expanded; left out');
      return [];
    }
    throw importInvalid(entry, `${JSON.stringify(text)} is not an IP address or range`);
  }
  const [from, to] = range;
  if (to < from || to - from + 1 > MAX_RANGE) {
    throw importInvalid(entry, `the range ${text} must hold from 1 to ${MAX_RANGE} addresses`);
  }
  const out: GroupTarget[] = [];
  for (let n = from; n <= to; n++) out.push({ vip: intToIpv4(n), port });
  return out;
}
