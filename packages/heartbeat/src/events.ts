import type { ElectionRule } from './election.js';
import type { LatenessSnapshot } from './lateness.js';
import type { LiveState, Preference, RejectReason, Role } from './packet.js';
import type { AnnounceReason } from './resources.js';

/** Why this node's live state changed. */
export type TransitionReason =
  /** Every link silent for the deadtime while the peer was known. */
  | 'peer-dead'
  /** No heartbeat at all within initdead after start. */
  | 'no-peer-at-start'
  /** The pair's election chose this node (or the peer); `rule` says which rule decided. */
  | 'elected'
  | 'takeover'
  | 'standby'
  | 'peer-takeover'
  | 'peer-standby'
  | 'failback'
  | 'unhealthy'
  | 'peer-unhealthy'
  | 'ping-lost'
  | 'peer-ping-lost'
  /** Both nodes were active (a healed partition); the election picked the other. */
  | 'split-brain'
  | 'acquired'
  | 'released'
  | 'acquire-failed'
  | 'stopping';

export type HeartbeatEvent =
  | { type: 'started'; role: Role; epoch: number }
  | { type: 'state'; from: LiveState; to: LiveState; reason: TransitionReason; rule?: ElectionRule }
  | { type: 'link-up'; link: string }
  | { type: 'link-down'; link: string }
  /** The peer has been silent on every link for the warntime (heartbeat's "late heartbeat"). */
  | { type: 'peer-late'; silentMs: number }
  | { type: 'peer-up'; peer: PeerView }
  | { type: 'peer-dead'; reason: 'deadtime' | 'initdead' }
  | { type: 'peer-changed'; peer: PeerView }
  /** Both nodes active at once; the election decides who releases. */
  | { type: 'split-brain'; winner: 'self' | 'peer'; rule: ElectionRule }
  /** This node should take over but may not: its ping nodes are unreachable. */
  | { type: 'takeover-blocked'; reason: 'ping-unreachable' }
  | { type: 'preference'; preference: Preference }
  | { type: 'ping'; reachable: boolean }
  | { type: 'health'; healthy: boolean }
  | { type: 'announce'; reason: AnnounceReason; failures: string[] }
  | { type: 'resource-failed'; operation: 'acquire' | 'release'; resource: string; error: unknown }
  /** A datagram that was dropped and not acted on. Reported at most once a second per link and reason. */
  | { type: 'packet-rejected'; link: string; reason: RejectReason; count: number }
  | { type: 'stopped' };

/** Each event as delivered: a per-node sequence number, the clock's time, and the event. */
export type HeartbeatEventRecord = HeartbeatEvent & { seq: number; at: number };

/** What this node knows of its peer, from its last accepted heartbeat. */
export interface PeerView {
  nodeId: string;
  /** `unknown` when no link has carried a heartbeat for the deadtime: the peer may be dead or cut off. */
  state: LiveState | 'unknown';
  role: Role | 'unknown';
  priority: number;
  configVersion: number;
  healthy: boolean;
  pingOk: boolean;
  pingPending: boolean;
  preference: Preference;
  hearsSelf: boolean;
}

export interface LinkStatus {
  name: string;
  state: 'up' | 'down' | 'unknown';
}

/** The appliance's status bar: `Master | Slave`, `Active | Passive`, `Link up | down`. */
export interface HeartbeatStatus {
  nodeId: string;
  role: Role;
  state: LiveState;
  preference: Preference;
  healthy: boolean;
  pingOk: boolean;
  /** Ping nodes configured, no result yet. */
  pingPending: boolean;
  /** `up` while any link carries heartbeats. */
  link: 'up' | 'down';
  links: LinkStatus[];
  peer: PeerView;
  configVersionMatches: boolean | undefined;
  rejected: Partial<Record<RejectReason, number>>;
  /**
   * `sendLateness`: how much later than its keepalive each of this node's heartbeats went
   * out (a blocked event loop); `peerGap`: the time between two of the peer's heartbeats on
   * one link (a slow peer or network). Both long before the deadtime says a false failover
   * is near.
   */
  timing: { sendLateness: LatenessSnapshot; peerGap: LatenessSnapshot };
}
