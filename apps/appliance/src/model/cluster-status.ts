import type { BgpStatus, NodeHold } from './engine-status.js';

// An ECMP cluster as the configuring node and each follower see it: GET /api/v1/cluster.

/** What a follower tells the configuring node in each replica reply. */
export interface NodeReport {
  /** The configuration version its engine runs (null before the first apply). */
  version: number | null;
  /** Why it holds its VIPs back: drained by its admin, or stale (behind the configuring node). */
  hold: NodeHold;
  /** Its BGP part (absent where the engine reports none). */
  bgp?: BgpStatus;
}

/** A node's BGP part in brief. */
export interface BgpSummary {
  state: BgpStatus['state'];
  /** VIPs announced (draining ones included: they are still routed here). */
  announced: number;
  vips: number;
  /** Sessions in state Established, of `sessions`. */
  established: number;
  sessions: number;
}

export type ClusterRole = 'configuring' | 'follower';

export interface ClusterNodeStatus {
  name: string;
  address: string;
  role: ClusterRole;
  /** The node answering this request. */
  self: boolean;
  /** The version its engine runs, as last heard (this node: now); null: not known. */
  version: number | null;
  /** ISO 8601: when the configuring node last heard from it (this node: now). */
  lastHeard?: string;
  /** Versions behind the configuring node's head (0: in step). */
  lag?: number;
  drained?: boolean;
  /** Why it withdraws all its VIPs: behind the configuring node for too long. */
  stale?: string;
  bgp?: BgpSummary;
  /** Why the configuring node could not reach it the last time it tried. */
  error?: string;
}

export interface ClusterStatus {
  mode: 'pair' | 'ecmp';
  /** This node's name (SLUICE_NODE_NAME, default the host name). */
  node: string;
  /** This node's place: absent outside an ECMP cluster or when cluster.nodes does not list it. */
  role?: ClusterRole;
  /** Where the configuration is edited: cluster.nodes[0]. */
  configuringNode?: string;
  /** The configuration version this node stores. */
  configVersion: number;
  /** This node's own hold (drain is node-local and survives a restart). */
  hold: NodeHold;
  nodes: ClusterNodeStatus[];
}
