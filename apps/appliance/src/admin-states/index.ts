import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplianceError } from '../errors.js';
import type { AdminState, AdminStateEntry, RealServerRef } from '../model/admin-state.js';
import { serial } from '../serial.js';
import { writeFileAtomically } from '../store/durable.js';
import type { AdminStates } from './contract.js';

const keyOf = (ref: RealServerRef) => `${ref.layer}/${ref.service}/${ref.server}`;
const STATES = new Set<AdminState>(['online', 'drain', 'offline']);
const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Whether `value` is a well-formed entry (for files, restores and replication). */
export function isAdminStateEntry(value: unknown): value is AdminStateEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    (entry.layer === 'layer4' || entry.layer === 'layer7') &&
    typeof entry.service === 'string' &&
    LABEL.test(entry.service) &&
    typeof entry.server === 'string' &&
    LABEL.test(entry.server) &&
    STATES.has(entry.state as AdminState) &&
    typeof entry.author === 'string' &&
    entry.author.length <= 128 &&
    typeof entry.time === 'string' &&
    entry.time.length <= 64
  );
}

/**
 * Admin states in `<dataDir>/admin-states.json`, replaced atomically on every change
 * (temporary file, fsync, rename). A server set back to `online` leaves the file, so
 * the file holds exactly the servers that an administrator took out of service.
 */
class FileAdminStates implements AdminStates {
  private entries = new Map<string, AdminStateEntry>();
  private readonly listeners = new Set<(entry: AdminStateEntry) => void>();
  private readonly queue = serial();

  constructor(
    private readonly file: string,
    private readonly now: () => Date,
  ) {}

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new ApplianceError('STORE_IO', `cannot read ${this.file}`, { cause: error });
    }
    let parsed: { entries?: unknown };
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new ApplianceError('STORE_CORRUPT', `${this.file} is not JSON`, { cause, field: this.file });
    }
    const list = Array.isArray(parsed.entries) ? parsed.entries : [];
    if (!list.every(isAdminStateEntry)) {
      throw new ApplianceError('STORE_CORRUPT', `${this.file} holds a malformed entry`, { field: this.file });
    }
    this.entries = new Map(list.map((entry) => [keyOf(entry), entry]));
  }

  get(ref: RealServerRef): AdminState {
    return this.entries.get(keyOf(ref))?.state ?? 'online';
  }

  list(): readonly AdminStateEntry[] {
    return [...this.entries.values()];
  }

  set(ref: RealServerRef, state: AdminState, author: string): Promise<AdminStateEntry> {
    const entry: AdminStateEntry = {
      layer: ref.layer,
      service: ref.service,
      server: ref.server,
      state,
      author,
      time: this.now().toISOString(),
    };
    return this.queue(async () => {
      const next = new Map(this.entries);
      if (state === 'online') next.delete(keyOf(ref));
      else next.set(keyOf(ref), entry);
      await this.save(next);
      this.emit(entry);
      return entry;
    });
  }

  replaceAll(entries: readonly AdminStateEntry[]): Promise<void> {
    return this.queue(async () => {
      const before = this.entries;
      const next = new Map(entries.filter((entry) => entry.state !== 'online').map((entry) => [keyOf(entry), entry]));
      await this.save(next);
      const time = this.now().toISOString();
      for (const [key, entry] of before) {
        if (!next.has(key)) this.emit({ ...entry, state: 'online', author: 'system', time });
      }
      for (const [key, entry] of next) {
        if (before.get(key)?.state !== entry.state) this.emit(entry);
      }
    });
  }

  onChange(listener: (entry: AdminStateEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(entry: AdminStateEntry): void {
    for (const listener of this.listeners) {
      try {
        listener(entry);
      } catch {
        // A listener's fault is its own; the state is stored.
      }
    }
  }

  private async save(next: Map<string, AdminStateEntry>): Promise<void> {
    await writeFileAtomically(this.file, `${JSON.stringify({ format: 1, entries: [...next.values()] }, null, 2)}\n`);
    this.entries = next;
  }
}

export async function openAdminStates(dataDir: string, options: { now?: () => Date } = {}): Promise<AdminStates> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const states = new FileAdminStates(join(dataDir, 'admin-states.json'), options.now ?? (() => new Date()));
  await states.load();
  return states;
}
