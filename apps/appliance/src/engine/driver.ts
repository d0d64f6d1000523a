/**
 * The seam between the engine and the parts it drives (IPVS, HAProxy, addresses). The engine
 * owns ordering, serialisation, admin states, health and status; a driver turns one desired
 * configuration into its part of the host, with minimal changes, and reports what it sees.
 */

import type { StatRow } from '@sluice/haproxy-config';
import type { ServiceWithDestinations } from '@sluice/ipvs';
import type { CheckLatency } from '../metrics/engine-metrics.js';
import type { AdminState, Layer, RealServerRef } from '../model/admin-state.js';
import type {
  BgpStatus,
  ConnectionSyncStatus,
  EnginePart,
  HealthState,
  Layer4Connection,
  Layer7StatRow,
  NodeHold,
  PartStatus,
} from '../model/engine-status.js';
import type { ApplianceConfig } from '../model/schema.js';

export type ProbeResult = { available: true } | { available: false; detail: string };

/** What a driver is asked to make true. */
export interface DesiredInput {
  version: number;
  config: ApplianceConfig;
  /** The admin state and health the engine holds for a real server now. */
  server(ref: RealServerRef): { admin: AdminState; health: HealthState };
  /**
   * A number that changes whenever `server()` may answer differently for any server (an
   * admin state, a health state). Between two applies with the same number, a driver may
   * reuse what `server()` said for a service it already applied. Absent: ask every time.
   */
  statesRevision?: () => number;
  /** HA: the active node holds the floating IPs and VIPs (standalone: always true). */
  active?: boolean;
  /**
   * A hint for runtime changes (admin state, health): only these services can differ from
   * the last apply, so a driver may limit its work to them. Absent: everything may differ.
   */
  scope?: readonly { layer: Layer; service: string }[];
  /**
   * The state of another part now, as this apply left it so far (the parts before this one
   * have applied): BGP withdraws what a failed or unavailable part would not serve.
   */
  partState?: (part: EnginePart) => PartStatus['state'] | undefined;
}

/** A driver lists at most this many change lines in an apply's result (`count` says how many there were). */
export const LISTED_CHANGES = 200;

export interface PartApplyResult {
  /** What changed, one line each: the first LISTED_CHANGES at most. */
  changes: string[];
  /** How many changes there were, when `changes` lists only the first ones. */
  count?: number;
  /** Applied, but with something the user should know (an address with no interface to go on). */
  detail?: string;
}

/** What a driver sees of one real server; key `${layer}/${service}/${server}`. */
export interface ServerObservation {
  activeConnections: number;
  inactiveConnections: number;
  bytesIn: number;
  bytesOut: number;
  /** Set by drivers whose part checks health itself (HAProxy for Layer 7). */
  health?: HealthState;
  healthReason?: string;
  /** The weight the kernel or HAProxy has now (0 while drained, failed or offline). */
  effectiveWeight: number;
}

/**
 * What a part observes, by `${layer}/${service}/${server}`. A driver may hand over a view of
 * its own that later applies and readings update in place: read it, do not keep it.
 */
export type Observations = Pick<ReadonlyMap<string, ServerObservation>, 'get' | 'values' | 'entries'>;

export interface PartDriver {
  readonly part: EnginePart;
  /** Whether this host can run the part (root, kernel module, binary); the reason when not. */
  probe(): Promise<ProbeResult>;
  /** Idempotent; minimal changes; returns human-readable lines of what changed. */
  apply(input: DesiredInput): Promise<PartApplyResult>;
  /**
   * What the part sees of every real server. `afterApply`: asked right after an apply, so
   * that the status shows what it changed; a driver that knows what it applied may answer
   * from its last reading with that applied (weights), instead of reading everything again.
   */
  observe(options?: { afterApply?: boolean }): Promise<Observations>;
  /**
   * Optional: compare the host with the last applied state and put back what was changed
   * out of band (ipvsadm, `ip addr`, the HAProxy socket); resolves with what was put back.
   */
  drift?(): Promise<string[]>;
  /**
   * Addresses: which floating IPs and VIPs of `config` no interface's network holds (they
   * would not be placed), read from the host now, without applying anything.
   */
  unplaced?(config: ApplianceConfig): Promise<string[]>;
  /** Addresses: announce the held addresses again (Engine.announce). */
  announce?(which: 'all' | 'pending'): Promise<void>;
  /** Layer 4: the kernel's connection table (GET /reports/connections). */
  connections?(): Promise<Layer4Connection[]>;
  /** Layer 4: the connection sync daemon (stateful failover) as last applied. */
  connectionSync?(): ConnectionSyncStatus;
  /** Layer 7: HAProxy's statistics (GET /reports/layer7). */
  stats?(): Promise<Layer7StatRow[]>;
  /** Layer 4: the whole IPVS table as observe() last read it, counters included (metrics). */
  lastTable?(): readonly ServiceWithDestinations[] | undefined;
  /** Layer 7: `show stat` as observe() last read it (metrics). */
  lastStatRows?(): readonly StatRow[] | undefined;
  /** Health: each checked real server's check latencies (metrics). */
  checkLatencies?(): Iterable<CheckLatency>;
  /** BGP: the node's hold (drain, stale), acted on at the part's next apply. */
  setHold?(hold: NodeHold): void;
  /** BGP: what this node announces (undefined outside an ECMP cluster). */
  bgpStatus?(): BgpStatus | undefined;
  stop(): Promise<void>;
}

/** The key of a real server in observations. */
export function serverKey(ref: RealServerRef): string {
  return `${ref.layer}/${ref.service}/${ref.server}`;
}
