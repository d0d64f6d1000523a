import { ApplianceError } from '../../src/errors.js';
import type { HaControl } from '../../src/ha/contract.js';
import type { AdminStateEntry } from '../../src/model/admin-state.js';
import type { HaStatus } from '../../src/model/ha-status.js';
import type { StoredVersion } from '../../src/store/store.js';

/** An HaControl for unit tests: standalone by default; a test makes it passive or failing. */
export class FakeHa implements HaControl {
  replicated: { version: number; adminStates: number }[] = [];
  current: HaStatus = { enabled: false, role: 'standalone', state: 'active', link: 'unknown', warnings: [] };
  /** When set, replicate() rejects with it. */
  replicateError: Error | undefined;
  private readonly listeners = new Set<(status: HaStatus) => void>();

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
    };
    this.emit();
  }

  async takeover(): Promise<HaStatus> {
    if (!this.current.enabled) throw new ApplianceError('HA_DISABLED', 'HA is not configured on this node');
    this.current = { ...this.current, state: 'active' };
    this.emit();
    return this.current;
  }

  async standby(): Promise<HaStatus> {
    if (!this.current.enabled) throw new ApplianceError('HA_DISABLED', 'HA is not configured on this node');
    this.current = { ...this.current, state: 'passive' };
    this.emit();
    return this.current;
  }

  async replicate(version: StoredVersion, adminStates: readonly AdminStateEntry[]): Promise<void> {
    this.replicated.push({ version: version.version, adminStates: adminStates.length });
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
