// The HA node's status, as the API answers with it and the status bar shows it.

export interface HaStatus {
  /** false: a single node (standalone), always active and editable. */
  enabled: boolean;
  /** The configured preference: `master` is the preferred active node. */
  role: 'master' | 'slave' | 'standalone';
  state: 'active' | 'passive';
  /** Heartbeats arrive from the peer. */
  link: 'up' | 'down' | 'unknown';
  peer?: { name: string; address: string; configVersion?: number };
  /** The warnings the manual shows in the status bar (link down, both active, config behind). */
  warnings: string[];
  /** ISO 8601: when this node became what `state` says. */
  since?: string;
  /**
   * Why: the reason of the move that began it (`peer-dead`, `no-peer-at-start`, `elected`,
   * `takeover`, `standby`, `peer-takeover`, `failback`, `ping-lost`, `unhealthy`,
   * `split-brain`, ...), `heartbeat-started`, `standalone` or `start`.
   */
  reason?: string;
  /** Moves between active and passive since the daemon started, by reason. */
  transitions?: Record<string, number>;
  /** How late this node's heartbeats leave and how far apart the peer's arrive (HA on). */
  heartbeat?: { sendLateness: LatenessHistogram; peerGap: LatenessHistogram };
}

/** A distribution of delays in ms: cumulative `buckets` at `bounds` (Prometheus `le`), the rest above. */
export interface LatenessHistogram {
  count: number;
  sumMs: number;
  lastMs?: number | undefined;
  maxMs: number;
  bounds: readonly number[];
  buckets: number[];
}
