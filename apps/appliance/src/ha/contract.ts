// The HA node's contract (implemented by ./control.ts): the other parts see the HA node only through it,
// each taking a Pick<> of what it uses, so that a test fakes just that (Seesaw's engine/ecu/ha split).
import type { AdminStateEntry } from '../model/admin-state.js';
import type { HaStatus } from '../model/ha-status.js';
import type { StoredVersion } from '../store/store.js';

export interface HaControl {
  status(): HaStatus;
  /** Edits are taken only on the active node; the passive one refuses with HA_PASSIVE. */
  isEditable(): boolean;
  /** Make this node active now (hb_takeover). */
  takeover(): Promise<HaStatus>;
  /** Hand the active role to the peer (hb_standby). */
  standby(): Promise<HaStatus>;
  /** A committed version, to replicate to the peer (no-op when HA is off). */
  replicate(version: StoredVersion, adminStates: readonly AdminStateEntry[]): Promise<void>;
  onStatus(listener: (status: HaStatus) => void): () => void;
}
