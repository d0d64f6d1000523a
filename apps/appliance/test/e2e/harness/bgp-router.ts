/**
 * The upstream router of the BGP tests: a BIRD 2 that takes the balancers' VIPs and installs
 * them in its namespace's kernel as one multipath route (ECMP). It honours RFC 8326's
 * GRACEFUL_SHUTDOWN community as routers are asked to: such a route gets local preference 0,
 * so it stays as a backup and leaves the multipath set. Written here, not by the appliance,
 * which only ever writes the balancer side.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Host } from '@sluice/testkit';
import type { BirdProcess } from '../../../src/engine/bgp/bird-process.js';

export interface RouterPeer {
  /** The BIRD protocol name on the router (`b1`, `b1v6`). */
  name: string;
  address: string;
  asn: number;
  password?: string | undefined;
  /** BFD on the session: true for 300 ms x 3, or the router's own timers (a faster balancer is held to them). */
  bfd?: boolean | { intervalMs: number; multiplier: number } | undefined;
}

function bfdLine(bfd: true | { intervalMs: number; multiplier: number }): string {
  const { intervalMs, multiplier } = bfd === true ? { intervalMs: 300, multiplier: 3 } : bfd;
  return `  bfd { min rx interval ${intervalMs} ms; min tx interval ${intervalMs} ms; multiplier ${multiplier}; };`;
}

export function routerConfig(options: { routerId: string; asn: number; logFile: string; peers: RouterPeer[] }): string {
  const peers = options.peers.map((peer) => {
    const channel = peer.address.includes(':') ? 'ipv6' : 'ipv4';
    return [
      `protocol bgp ${peer.name} from balancer {`,
      `  neighbor ${peer.address} as ${peer.asn};`,
      ...(peer.password ? [`  password "${peer.password}";`] : []),
      ...(peer.bfd ? [bfdLine(peer.bfd)] : []),
      `  ${channel} { import filter from_balancer; export none; };`,
      '}',
    ].join('\n');
  });
  return `log "${options.logFile}" all;
timeformat protocol iso long ms;
router id ${options.routerId};
protocol device {}
protocol bfd {}
protocol kernel k4 { ipv4 { import none; export where source = RTS_BGP; }; merge paths on; }
protocol kernel k6 { ipv6 { import none; export where source = RTS_BGP; }; merge paths on; }
filter from_balancer {
  if (65535, 0) ~ bgp_community then bgp_local_pref = 0;
  if net.type = NET_IP4 && net ~ [ 203.0.113.0/24{32,32} ] then accept;
  if net.type = NET_IP6 && net ~ [ 2001:db8:10::/48{128,128} ] then accept;
  reject;
}
template bgp balancer {
  local as ${options.asn};
  connect delay time 1;
  connect retry time 1;
  error wait time 1, 5;
}
${peers.join('\n')}
`;
}

interface JsonRoute {
  gateway?: string;
  nexthops?: { gateway?: string }[];
}

/** The gateways of the router kernel's route to `prefix`, sorted; [] when it has none. */
export async function nexthops(router: Host, prefix: string): Promise<string[]> {
  const family = prefix.includes(':') ? '-6' : '-4';
  const { stdout } = await router.ip([family, '-j', 'route', 'show', prefix]);
  const routes = JSON.parse(stdout || '[]') as JsonRoute[];
  const gateways = routes.flatMap((r) => (r.nexthops ? r.nexthops.map((n) => n.gateway) : [r.gateway]));
  return gateways.filter((g): g is string => g !== undefined).sort();
}

/**
 * Polls the router's kernel every few milliseconds until the route to `prefix` has exactly
 * `expected` as gateways; returns the milliseconds since `since` (for the report, never asserted).
 */
export async function untilNexthops(
  router: Host,
  prefix: string,
  expected: readonly string[],
  since = Date.now(),
  timeoutMs = 30_000,
): Promise<number> {
  const want = [...expected].sort().join(' ');
  let last: string[] = [];
  for (;;) {
    last = await nexthops(router, prefix);
    if (last.join(' ') === want) return Date.now() - since;
    if (Date.now() - since > timeoutMs) {
      throw new Error(`the router's route to ${prefix}: [${last.join(' ')}], not [${want}], after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The router's BIRD in `router`'s namespace (router id 192.0.2.1, AS `asn`), its files in
 * `dir`: `router.conf`, `router.log`, `router.ctl`. Generous timeouts: UML on a busy machine.
 */
export async function startRouterBird(
  router: Host,
  dir: string,
  asn: number,
  peers: RouterPeer[],
): Promise<BirdProcess> {
  const configFile = join(dir, 'router.conf');
  writeFileSync(configFile, routerConfig({ routerId: '192.0.2.1', asn, logFile: join(dir, 'router.log'), peers }));
  // Imported here, not at the top: the benchmarks load this file under Node's type stripping,
  // which cannot follow src's `.js` specifiers; they use routerConfig and untilNexthops only.
  const { BirdProcess } = await import('../../../src/engine/bgp/bird-process.js');
  return BirdProcess.start({
    netns: router.netns,
    configFile,
    socketPath: join(dir, 'router.ctl'),
    pidFile: join(dir, 'router.pid'),
    startTimeoutMs: 30_000,
    requestTimeoutMs: 15_000,
  });
}
