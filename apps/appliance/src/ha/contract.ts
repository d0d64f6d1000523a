// The HA node's contract (implemented by ./control.ts): the other parts see the HA node only through it,
// each taking a Pick<> of what it uses, so that a test fakes just that (Seesaw's engine/ecu/ha split).
import type { HaStatus } from '../model/ha-status.js';
import type { StoredVersion } from '../store/contract.js';

export interface HaControl {
  status(): HaStatus;
  /** Edits are taken only on the active node; the passive one refuses with HA_PASSIVE. */
  isEditable(): boolean;
  /** Make this node active now (hb_takeover). */
  takeover(): Promise<HaStatus>;
  /** Hand the active role to the peer (hb_standby). */
  standby(): Promise<HaStatus>;
  /**
   * A version became the head (the commit pipeline calls this for every one, whoever stored
   * it): a changed heartbeat section restarts the heartbeat, and the active node sends the
   * version to its peer (no-op when HA is off).
   */
  committed(version: StoredVersion): Promise<void>;
  /** The admin states changed: the active node sends them to its peer (no-op when HA is off). */
  adminStatesChanged(): Promise<void>;
  onStatus(listener: (status: HaStatus) => void): () => void;
}
