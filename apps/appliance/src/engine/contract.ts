// The engine's contract (implemented by ./engine.ts): the other parts see the engine only through it,
// each taking a Pick<> of what it uses, so that a test fakes just that (Seesaw's engine/ecu/ha split).
import type { EngineMetrics } from '../metrics/engine-metrics.js';
import type { ApplyReport, EngineStatus, Layer4Connection, Layer7StatRow, NodeHold } from '../model/engine-status.js';
import type { ApplianceConfig } from '../model/schema.js';
import type { ConfigWarning } from '../model/validate.js';
import type { StoredVersion } from '../store/contract.js';

/**
 * The engine: desired configuration + admin states + health -> IPVS, HAProxy, floating IPs.
 * Every part that this host cannot run is `unavailable` with the reason; the rest applies.
 */
export interface Engine {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Apply a committed version (commit, rollback, replication, restore). Resolves once the kernel and HAProxy reflect it. */
  apply(version: StoredVersion): Promise<ApplyReport>;
  /** HA: the active node holds the floating IPs; both nodes keep IPVS and HAProxy programmed. */
  setActive(active: boolean): Promise<void>;
  /**
   * HA: tell the network again where the addresses this node holds live (gratuitous ARP,
   * unsolicited neighbour advertisement), without adding them again; nothing on a passive
   * node. `pending`: only those whose announcement has not gone out since they were added.
   * Rejects (`ENGINE_ANNOUNCE_FAILED`) if a frame could not be sent; the others were.
   */
  announce(which?: 'all' | 'pending'): Promise<void>;
  status(): EngineStatus;
  /**
   * ECMP: hold this node's announcements (drained by the admin, behind the configuring
   * node); resolves once BIRD exports what the hold leaves. No-op outside an ECMP cluster.
   */
  setNodeHold(hold: NodeHold): Promise<void>;
  /**
   * What this host cannot do of `config`, checked now without applying it (the answer to
   * the write that stored it): each floating IP and VIP that no interface's network holds,
   * each service of a part this host cannot run (with the reason). Nothing for a part
   * whose availability is not known yet.
   */
  hostWarnings(config: ApplianceConfig): Promise<ConfigWarning[]>;
  /**
   * Called when the status changes (health transition, admin state, apply, new counters);
   * for live views, which read status() when they need it (building it costs a pass over
   * every real server, so it is not built for listeners that only invalidate a cache).
   */
  onStatus(listener: () => void): () => void;
  /** The drivers' last readings (IPVS table, HAProxy's `show stat`) and the apply and check distributions, for /metrics. */
  metrics(): EngineMetrics;
  connections(): Promise<Layer4Connection[]>;
  layer7Stats(): Promise<Layer7StatRow[]>;
}
