import { ArpFixError } from './errors.js';
import type { RealServerSystem } from './system.js';

/** One change the tool made, with what it needs to undo it exactly. */
export type Change =
  | { kind: 'sysctl'; path: string; before: string; after: string }
  | {
      kind: 'address';
      op: 'add' | 'del';
      ifname: string;
      address: string;
      prefix: number;
      /** For a deleted address: what recreates it exactly (`brd`, `label`, flags such as `nodad`). */
      extra?: string[];
    }
  | { kind: 'nft-table'; family: 'ip'; table: string }
  | { kind: 'nft-rule'; family: 'ip'; table: string; chain: string; handle: number }
  | { kind: 'iptables-rule'; table: 'nat'; chain: 'PREROUTING'; spec: string[] }
  | { kind: 'file'; path: string; before: string | null; after: string }
  | { kind: 'symlink'; path: string; target: string };

export interface ChangeRecord {
  version: 1;
  operation: 'apply' | 'persist';
  method: 'redirect' | 'arp';
  vips: string[];
  at: string;
  changes: Change[];
}

/** Where the CLI keeps the records of what it changed, under the system's root. */
export const RECORD_PATH = '/var/lib/sluice-arp-fix/changes.json';

/**
 * The record of one system: the host's at RECORD_PATH, a named namespace's beside it under
 * `netns/<name>/` (as `ip netns` keeps `/etc/netns/<name>/`), so that a revert in one
 * namespace never undoes, or refuses over, what was changed in another or on the host.
 */
export function recordPath(system: Pick<RealServerSystem, 'netns'>): string {
  return system.netns === undefined ? RECORD_PATH : `/var/lib/sluice-arp-fix/netns/${system.netns}/changes.json`;
}

export async function loadRecords(system: RealServerSystem): Promise<ChangeRecord[]> {
  const path = recordPath(system);
  const text = await system.readFile(path);
  if (text === undefined) return [];
  try {
    const records = JSON.parse(text) as unknown;
    if (!Array.isArray(records)) throw new Error('not a list');
    return records as ChangeRecord[];
  } catch (error) {
    throw new ArpFixError('ARPFIX_PARSE', `${path} is not a change record list`, { cause: error });
  }
}

export async function appendRecord(system: RealServerSystem, record: ChangeRecord): Promise<void> {
  const records = await loadRecords(system);
  records.push(record);
  await system.writeFile(recordPath(system), `${JSON.stringify(records, null, 2)}\n`);
}

/** Replaces the stored records (after a revert, with those that remain). */
export async function storeRecords(system: RealServerSystem, records: ChangeRecord[]): Promise<void> {
  if (records.length === 0) await system.removeFile(recordPath(system));
  else await system.writeFile(recordPath(system), `${JSON.stringify(records, null, 2)}\n`);
}
