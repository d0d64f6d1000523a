import { isIP } from 'node:net';
import type { Bind, HaproxyConfig } from './model.js';

/**
 * Whether a listener can hand an IPv6 client address to its backends: it listens on IPv6
 * (`::` too, dual stack or not), or takes the address from a PROXY header, which may
 * carry either family whatever the listening address.
 */
function carriesIpv6(bind: Bind): boolean {
  return bind?.acceptProxy === true || isIP(bind?.address) === 6;
}

/**
 * The backends that IPv6 clients can reach, through a default backend or a rule. A
 * source-address stick table of type `ip` stores no IPv6 address (silently, persistence
 * just does not happen), so these backends need `ipv6`, which stores IPv4 as mapped too.
 */
export function backendsWithIpv6Clients(config: HaproxyConfig): Set<string> {
  const reached = new Set<string>();
  for (const frontend of config.frontends) {
    if (!Array.isArray(frontend?.binds) || !frontend.binds.some(carriesIpv6)) continue;
    if (frontend.defaultBackend !== undefined) reached.add(frontend.defaultBackend);
    for (const rule of frontend.rules ?? []) reached.add(rule?.backend);
  }
  return reached;
}
