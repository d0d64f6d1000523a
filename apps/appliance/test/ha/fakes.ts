import type { AdminStates } from '../../src/admin-states/contract.js';
import { ApplianceError } from '../../src/errors.js';
import type { AdminStateEntry } from '../../src/model/admin-state.js';
import { defaultConfig } from '../../src/model/schema.js';
import type { StoredVersion } from '../../src/store/config-store.js';

/** A version as the store would hold it. */
export function version(n: number, time = `2026-01-01T00:00:${String(n).padStart(2, '0')}.000Z`): StoredVersion {
  return { version: n, author: 'alice', time, comment: `v${n}`, config: defaultConfig() };
}

/** The store's replica rule (tested for real in store-replica.test.ts): only a newer version is stored. */
export class FakeStore {
  readonly versions = new Map<number, StoredVersion>();
  readonly accepted: { version: number; from: string }[] = [];
  private head: StoredVersion;

  constructor(head = 1) {
    for (let n = 1; n <= head; n++) this.versions.set(n, version(n));
    this.head = version(head);
  }

  current(): StoredVersion {
    return this.head;
  }

  async get(n: number): Promise<StoredVersion> {
    const found = this.versions.get(n);
    if (!found) throw new ApplianceError('STORE_NOT_FOUND', `no version ${n}`);
    return found;
  }

  async acceptReplica(stored: StoredVersion, from: string): Promise<StoredVersion> {
    if (stored.version <= this.head.version) throw new ApplianceError('HA_STALE_VERSION', 'not newer');
    this.versions.set(stored.version, stored);
    this.head = stored;
    this.accepted.push({ version: stored.version, from });
    return stored;
  }

  /** A local commit. */
  commit(): StoredVersion {
    const next = version(this.head.version + 1);
    this.versions.set(next.version, next);
    this.head = next;
    return next;
  }
}

export class FakeAdminStates implements Pick<AdminStates, 'list' | 'replaceAll'> {
  entries: AdminStateEntry[] = [];
  replaced = 0;
  list(): readonly AdminStateEntry[] {
    return this.entries;
  }
  async replaceAll(entries: readonly AdminStateEntry[]): Promise<void> {
    this.entries = [...entries];
    this.replaced++;
  }
}

export const drained: AdminStateEntry = {
  layer: 'layer4',
  service: 'web',
  server: 'alpha',
  state: 'drain',
  author: 'alice',
  time: '2026-01-01T00:00:00.000Z',
};
