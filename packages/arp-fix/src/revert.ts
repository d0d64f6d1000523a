import { isIP } from 'node:net';
import { ArpFixError } from './errors.js';
import { ADDRESS_FLAGS } from './parse.js';
import type { Change, ChangeRecord } from './record.js';
import { readSysctl } from './state.js';
import type { RealServerSystem } from './system.js';

export interface RevertOptions {
  /** Restore even where the value changed since the tool set it (default: refuse). */
  force?: boolean;
}

/**
 * Undoes a record's changes in reverse order. Before touching anything it checks that what
 * the tool set is still there; a value someone changed since is a conflict
 * (`ARPFIX_REVERT_CONFLICT`, `field` = `changes[i]`) unless `force`.
 */
export async function revert(
  system: RealServerSystem,
  record: ChangeRecord,
  options: RevertOptions = {},
): Promise<void> {
  if (!options.force) {
    for (const [i, change] of record.changes.entries()) {
      const conflict = await conflictOf(system, change);
      if (conflict) {
        throw new ArpFixError('ARPFIX_REVERT_CONFLICT', `changes[${i}]: ${conflict}`, { field: `changes[${i}]` });
      }
    }
  }
  for (const change of [...record.changes].reverse()) await undo(system, change);
}

async function conflictOf(system: RealServerSystem, change: Change): Promise<string | undefined> {
  if (change.kind === 'sysctl') {
    const now = await readSysctl(system, change.path);
    if (now !== change.after) return `${change.path} is ${now ?? 'absent'}, not ${change.after} as set`;
  }
  if (change.kind === 'file') {
    const now = await system.readFile(change.path);
    if (now !== change.after) return `${change.path} was edited since it was written`;
  }
  return undefined;
}

/** A record is a file on disk: only the `ip addr add` arguments the tool itself records pass. */
function checkExtra(extra: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < extra.length; i++) {
    const word = extra[i] ?? '';
    const next = extra[i + 1] ?? '';
    if (word === 'brd' && isIP(next) === 4) out.push(word, next);
    else if (word === 'label' && /^[A-Za-z0-9_.:-]{1,15}$/.test(next)) out.push(word, next);
    else if ((ADDRESS_FLAGS as readonly string[]).includes(word)) {
      out.push(word);
      continue;
    } else {
      throw new ArpFixError('ARPFIX_INVALID_FIELD', `extra: ${JSON.stringify(word)} is not an address argument`, {
        field: 'extra',
      });
    }
    i++;
  }
  return out;
}

async function undo(system: RealServerSystem, change: Change): Promise<void> {
  switch (change.kind) {
    case 'sysctl':
      await system.writeSysctl(change.path, change.before);
      return;
    case 'address': {
      const cidr = `${change.address}/${change.prefix}`;
      if (change.op === 'add') await system.run('ip', ['addr', 'del', cidr, 'dev', change.ifname]);
      else await system.run('ip', ['addr', 'add', cidr, 'dev', change.ifname, ...checkExtra(change.extra ?? [])]);
      return;
    }
    case 'nft-rule': {
      const gone = await system.tryRun('nft', ['list', 'table', change.family, change.table]);
      if (gone.exitCode !== 0) return;
      await system.run('nft', [
        'delete',
        'rule',
        change.family,
        change.table,
        change.chain,
        'handle',
        String(change.handle),
      ]);
      return;
    }
    case 'nft-table':
      await system.run('nft', ['delete', 'table', change.family, change.table]);
      return;
    case 'iptables-rule':
      await system.run('iptables', ['-t', change.table, '-D', change.chain, ...change.spec]);
      return;
    case 'file':
      if (change.before === null) await system.removeFile(change.path);
      else await system.writeFile(change.path, change.before);
      return;
    case 'symlink':
      await system.removeFile(change.path);
      return;
  }
}
