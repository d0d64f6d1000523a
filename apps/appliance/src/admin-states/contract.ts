// The admin states' contract (implemented by ./index.ts): the other parts see the admin states only through it,
// each taking a Pick<> of what it uses, so that a test fakes just that (Seesaw's engine/ecu/ha split).
import type { AdminState, AdminStateEntry, RealServerRef } from '../model/admin-state.js';

/**
 * Admin states are runtime actions, not configuration: they are not versioned, but they
 * are stored in the data directory and survive restarts, reloads and failover (the peer
 * receives them with the configuration). A server absent from the store is `online`.
 */
export interface AdminStates {
  get(ref: RealServerRef): AdminState;
  list(): readonly AdminStateEntry[];
  /** Stored durably before it resolves; the engine applies it through its listener. */
  set(ref: RealServerRef, state: AdminState, author: string): Promise<AdminStateEntry>;
  /** Replace every entry (restore, replication, factory reset). */
  replaceAll(entries: readonly AdminStateEntry[]): Promise<void>;
  onChange(listener: (entry: AdminStateEntry) => void): () => void;
}
