import { open, readFile } from 'node:fs/promises';
import type { AuditEntry } from './contract.js';
import { appendDurably, appendLine } from './durable.js';

// Declared with the store's contract, which the browser imports without Node types.
export type { AuditEntry } from './contract.js';

/**
 * The audit log is JSON lines, appended and fsynced. A crash can cut off only the last
 * line, which was never acknowledged; opening the store drops such a tail. The entry of a
 * committed version may be appended without fsync (`durable: false`): the version file is
 * durable, and opening the store writes the entry again when a power loss took it.
 */
export class AuditLog {
  private readonly listeners = new Set<(entry: AuditEntry) => void>();

  constructor(readonly file: string) {}

  async append(entry: AuditEntry, options: { durable?: boolean } = {}): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    if (options.durable === false) appendLine(this.file, line);
    else await appendDurably(this.file, line);
    for (const listener of this.listeners) {
      try {
        listener(entry);
      } catch {
        // A listener's fault (the log book's) must not fail a stored change.
      }
    }
  }

  /** Every entry once appended (the daemon's log book shows them in its audit channel). */
  onAppend(listener: (entry: AuditEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drop a torn last line (no newline at the end). */
  async repair(): Promise<void> {
    const data = await readFile(this.file);
    if (data.length === 0 || data[data.length - 1] === 0x0a) return;
    const handle = await open(this.file, 'r+');
    try {
      await handle.truncate(data.lastIndexOf(0x0a) + 1);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async read(): Promise<AuditEntry[]> {
    const text = await readFile(this.file, 'utf8');
    const entries: AuditEntry[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        entries.push(JSON.parse(line) as AuditEntry);
      } catch {
        // A torn line written by another process that crashed; it was never acknowledged.
      }
    }
    return entries;
  }
}
