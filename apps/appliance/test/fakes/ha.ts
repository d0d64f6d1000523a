import { ApplianceError } from '../../src/errors.js';
import type { HaControl } from '../../src/ha/contract.js';
import type { AdminStateEntry } from '../../src/model/admin-state.js';
import type { HaStatus } from '../../src/model/ha-status.js';
import type { StoredVersion } from '../../src/store/config-store.js';

/** What the fake reads when it "replicates": the node's head and admin states. */
export interface FakeHaSource {
  store: { current(): StoredVersion };
  adminStates: { list(): readonly AdminStateEntry[] };
}

/** An HaControl for unit tests: standalone by default; a test makes it passive or failing. */
export class FakeHa implements HaControl {
  /** What would have gone to the peer: each committed version and each admin-state change. */
  replicated: { version: number; adminStates: number }[] = [];
  current: HaStatus = { enabled: false, role: 'standalone', state: 'active', link: 'unknown', warnings: [] };
  /** When set, replicate() rejects with it. */
  replicateError: Error | undefined;
  private readonly listeners = new Set<(status: HaStatus) => void>();

  constructor(private readonly source?: FakeHaSource) {}

  status(): HaStatus {
    return this.current;
  }

  isEditable(): boolean {
    return this.current.state === 'active';
  }

  /** Make this node one of a pair, active or passive. */
  setPair(state: 'active' | 'passive'): void {
    this.current = {
      enabled: true,
      role: state === 'active' ? 'master' : 'slave',
      state,
      link: 'up',
      peer: { name: 'lbpeer', address: '203.0.113.2' },
      warnings: [],
      since: new Date().toISOString(),
      reason: state === 'active' ? 'elected' : 'heartbeat-started',
    };
    this.emit();
  }

  async takeover(): Promise<HaStatus> {
    if (!this.current.enabled) throw new ApplianceError('HA_DISABLED', 'HA is not configured on this node');
    this.current = { ...this.current, state: 'active', since: new Date().toISOString(), reason: 'takeover' };
    this.emit();
    return this.current;
  }

  async standby(): Promise<HaStatus> {
    if (!this.current.enabled) throw new ApplianceError('HA_DISABLED', 'HA is not configured on this node');
    this.current = { ...this.current, state: 'passive', since: new Date().toISOString(), reason: 'standby' };
    this.emit();
    return this.current;
  }

  async committed(version: StoredVersion): Promise<void> {
    this.replicated.push({ version: version.version, adminStates: this.source?.adminStates.list().length ?? 0 });
    if (this.replicateError) throw this.replicateError;
  }

  async adminStatesChanged(): Promise<void> {
    const version = this.source?.store.current().version ?? 0;
    this.replicated.push({ version, adminStates: this.source?.adminStates.list().length ?? 0 });
    if (this.replicateError) throw this.replicateError;
  }

  onStatus(listener: (status: HaStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.current);
  }
}
