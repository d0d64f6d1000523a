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
}
