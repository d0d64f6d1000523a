/**
 * Renders the BIRD 2 configuration that announces this node's VIPs to its BGP peers.
 * The appliance never speaks BGP itself (issue #25): it writes this file and asks BIRD to
 * apply it over the control socket (birdc.ts). Every value that reaches the file is checked
 * first, so no setting can add a line or a statement; protocol names are made here
 * (`peer1`, `vips4`), never taken from the input.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { fieldError } from '../../errors.js';

/** `announced`: exported as is. `draining`: exported with RFC 8326's GRACEFUL_SHUTDOWN community. `withdrawn`: not exported. */
export type BgpVipState = 'announced' | 'draining' | 'withdrawn';

export interface BgpVip {
  /** A host address; announced as a /32 or a /128. */
  address: string;
  state: BgpVipState;
}

export interface BgpBfd {
  /** Both the minimum receive and transmit intervals, in milliseconds. */
  intervalMs: number;
  multiplier: number;
}

export interface BgpPeer {
  address: string;
  asn: number;
  /** TCP-MD5 (RFC 2385) key; the peer must have the same. */
  password?: string;
  bfd?: BgpBfd;
  /** Seconds; BIRD sends keepalives every third of it. */
  holdTimeSeconds?: number;
}

export interface BirdConfigInput {
  /** BIRD's router id, an IPv4 address (also for an IPv6-only node). */
  routerId: string;
  localAsn: number;
  peers: readonly BgpPeer[];
  vips: readonly BgpVip[];
  /** An absolute path for BIRD's own log; without it, BIRD logs to syslog. */
  logFile?: string;
}

const MAX_ASN = 4_294_967_295;
/** RFC 8326's GRACEFUL_SHUTDOWN well-known community. */
export const GRACEFUL_SHUTDOWN_COMMUNITY = '(65535, 0)';
/** The names of the static protocols that hold the VIPs; `show route protocol` takes them. */
export const VIP_PROTOCOLS = { 4: 'vips4', 6: 'vips6' } as const;

/** The name of the BGP protocol for `peers[index]`. */
export const peerProtocolName = (index: number) => `peer${index + 1}`;

const invalid = (field: string, message: string) => fieldError('BGP_INVALID', field, message);

/** node:net alone also takes IPv6 zone ids (`fe80::1%eth0`), whose text is free: only hex, `:` and `.` pass. */
function address(value: unknown, field: string): { text: string; family: 4 | 6 } {
  if (typeof value !== 'string' || !/^[0-9a-fA-F:.]+$/.test(value)) {
    throw invalid(field, `${JSON.stringify(value)} is not an IPv4 or IPv6 address`);
  }
  if (isIPv4(value)) return { text: value, family: 4 };
  if (isIPv6(value)) return { text: value.toLowerCase(), family: 6 };
  throw invalid(field, `${JSON.stringify(value)} is not an IPv4 or IPv6 address`);
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `${JSON.stringify(value)} is not an integer from ${min} to ${max}`);
  }
  return value;
}

/** One text per address, so that `2001:DB8::1` and `2001:db8:0::1` are found to be the same. */
const canonical = (parsed: { text: string; family: 4 | 6 }) =>
  parsed.family === 6 ? new URL(`http://[${parsed.text}]`).hostname : parsed.text;

const asn = (value: unknown, field: string) => integer(value, field, 1, MAX_ASN);

/** Printable ASCII without the two characters that end or escape a BIRD string. */
function password(value: unknown, field: string): string {
  // Linux takes TCP-MD5 keys of up to 80 bytes (TCP_MD5SIG_MAXKEYLEN).
  if (typeof value !== 'string' || !/^[\x20-\x7e]{1,80}$/.test(value) || /["\\]/.test(value)) {
    throw invalid(field, 'must be 1 to 80 printable ASCII characters without " or \\');
  }
  return value;
}

function logFile(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9._/+-]{1,4095}$/.test(value)) {
    throw invalid(field, `${JSON.stringify(value)} is not an absolute path of letters, digits and ._/+-`);
  }
  return value;
}

function peerBlock(
  peer: BgpPeer,
  index: number,
  localAsn: number,
): { text: string; key: string; family: 4 | 6; bfd: boolean } {
  const field = `peers[${index}]`;
  const neighbor = address(peer.address, `${field}.address`);
  const lines = [`  local as ${localAsn};`, `  neighbor ${neighbor.text} as ${asn(peer.asn, `${field}.asn`)};`];
  if (peer.holdTimeSeconds !== undefined) {
    // RFC 4271: a hold time is 0 or at least 3 s; 0 (no keepalives) would hide a dead node.
    lines.push(`  hold time ${integer(peer.holdTimeSeconds, `${field}.holdTimeSeconds`, 3, 65_535)};`);
  }
  if (peer.password !== undefined) lines.push(`  password "${password(peer.password, `${field}.password`)}";`);
  if (peer.bfd !== undefined) {
    const interval = integer(peer.bfd.intervalMs, `${field}.bfd.intervalMs`, 10, 60_000);
    const multiplier = integer(peer.bfd.multiplier, `${field}.bfd.multiplier`, 1, 255);
    lines.push(`  bfd { min rx interval ${interval} ms; min tx interval ${interval} ms; multiplier ${multiplier}; };`);
  }
  const channel = neighbor.family === 4 ? 'ipv4' : 'ipv6';
  lines.push(`  ${channel} { import none; export filter vips_out; };`);
  return {
    text: `protocol bgp ${peerProtocolName(index)} from peer_defaults {\n${lines.join('\n')}\n}`,
    key: canonical(neighbor),
    family: neighbor.family,
    bfd: peer.bfd !== undefined,
  };
}

/** A prefix set line of the export filter: BIRD refuses a set mixing families, hence one per family. */
function drainLine(family: 4 | 6, addresses: readonly string[]): string | undefined {
  if (addresses.length === 0) return undefined;
  const bits = family === 4 ? 32 : 128;
  const set = addresses.map((a) => `${a}/${bits}`).join(', ');
  return `  if net.type = NET_IP${family} && net ~ [ ${set} ] then bgp_community.add(${GRACEFUL_SHUTDOWN_COMMUNITY});`;
}

/**
 * The whole file. Throws BGP_INVALID naming the first field at fault. The same input
 * always gives the same text, so a caller can skip a reconfigure when nothing changed.
 */
export function renderBirdConfig(input: BirdConfigInput): string {
  const routerId = address(input.routerId, 'routerId');
  if (routerId.family !== 4) throw invalid('routerId', 'BIRD router ids are IPv4 addresses');
  const localAsn = asn(input.localAsn, 'localAsn');
  if (!Array.isArray(input.peers) || input.peers.length === 0) throw invalid('peers', 'at least one peer is needed');
  if (!Array.isArray(input.vips)) throw invalid('vips', 'must be a list');

  const vips: Record<4 | 6, string[]> = { 4: [], 6: [] };
  const draining: Record<4 | 6, string[]> = { 4: [], 6: [] };
  const seen = new Set<string>();
  input.vips.forEach((vip, i) => {
    const parsed = address(vip?.address, `vips[${i}].address`);
    const key = canonical(parsed);
    if (seen.has(key)) throw invalid(`vips[${i}].address`, `${parsed.text} is listed twice`);
    seen.add(key);
    const state = vip.state;
    if (state !== 'announced' && state !== 'draining' && state !== 'withdrawn') {
      throw invalid(`vips[${i}].state`, `${JSON.stringify(state)} is not announced, draining or withdrawn`);
    }
    if (state === 'withdrawn') return;
    vips[parsed.family].push(parsed.text);
    if (state === 'draining') draining[parsed.family].push(parsed.text);
  });

  const peerAddresses = new Set<string>();
  const peers = input.peers.map((peer, i) => {
    const block = peerBlock(peer, i, localAsn);
    if (peerAddresses.has(block.key)) throw invalid(`peers[${i}].address`, `${peer.address} is listed twice`);
    peerAddresses.add(block.key);
    return block;
  });

  const out: string[] = ['# Written by the Sluice appliance: every change here is lost at its next write.'];
  out.push(input.logFile === undefined ? 'log syslog all;' : `log "${logFile(input.logFile, 'logFile')}" all;`);
  // Full dates in `show protocols`, so that a session's "since" tells a reset from none.
  out.push('timeformat protocol iso long ms;', `router id ${routerId.text};`, '', 'protocol device {}');
  if (peers.some((p) => p.bfd)) out.push('protocol bfd {}');
  for (const family of [4, 6] as const) {
    const routes = vips[family].map((a) => `  route ${a}/${family === 4 ? 32 : 128} blackhole;`);
    out.push(`protocol static ${VIP_PROTOCOLS[family]} {`, `  ipv${family};`, ...routes, '}');
  }
  out.push(
    '',
    '# Only the VIPs leave this node; a draining VIP carries GRACEFUL_SHUTDOWN (RFC 8326), so a',
    '# router that honours it keeps the route as a backup only.',
    'filter vips_out {',
    `  if proto != "${VIP_PROTOCOLS[4]}" && proto != "${VIP_PROTOCOLS[6]}" then reject;`,
    ...[drainLine(4, draining[4]), drainLine(6, draining[6])].filter((l) => l !== undefined),
    '  accept;',
    '}',
    '',
    // A peer that restarts is back within seconds, not after BIRD's default 120 s retry.
    'template bgp peer_defaults {',
    '  connect delay time 1;',
    '  connect retry time 5;',
    '  error wait time 1, 30;',
    '}',
  );
  for (const peer of peers) out.push(peer.text);
  return `${out.join('\n')}\n`;
}
