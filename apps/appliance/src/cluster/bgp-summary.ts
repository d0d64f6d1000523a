import type { BgpSummary } from '../model/cluster-status.js';
import type { BgpStatus } from '../model/engine-status.js';

/** A node's BGP part in a table row: what it announces and how many sessions are up. */
export function bgpSummary(bgp: BgpStatus | undefined): BgpSummary | undefined {
  if (bgp === undefined) return undefined;
  return {
    state: bgp.state,
    announced: bgp.vips.filter((vip) => vip.state !== 'withdrawn').length,
    vips: bgp.vips.length,
    established: bgp.peers.filter((peer) => peer.state === 'Established').length,
    sessions: bgp.peers.length,
  };
}
