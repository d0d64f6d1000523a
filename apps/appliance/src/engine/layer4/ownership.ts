/**
 * Which IPVS services the appliance owns, so that with `ipvs.ownership: own` it leaves the
 * others (ipvsadm, keepalived, kube-proxy) alone. Owned: the services the configuration
 * declares, and those the appliance created or adopted and has not deleted yet. The second
 * kind outlives the process (a service taken out of the configuration is still the
 * appliance's to delete after a crash or a restart), so the set is recorded in a file.
 *
 * Write-ahead: before an apply, the record becomes (record ∪ declared) and is on disk before
 * any IPVS write; after a successful apply it becomes what is declared (what was deleted
 * drops out). A crash in between leaves a superset, never a service the appliance created
 * unowned.
 */
import { readFile } from 'node:fs/promises';
import { ApplianceError } from '../../errors.js';
import { writeFileAtomically } from '../../store/durable.js';
import { ioError } from '../../store/version-log.js';

/** Where the owned set is kept between starts. */
export interface OwnedRecord {
  /** The recorded service ids (`serviceId()` of @sluice/ipvs); empty when nothing was recorded. */
  load(): Promise<string[]>;
  /** Replaces the record; resolves once it would survive a crash. */
  save(ids: readonly string[]): Promise<void>;
}

/** The record as a JSON file (in the data directory, beside the configuration store). */
export function ownedRecordFile(file: string): OwnedRecord {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw ioError(`cannot read ${file}`, error);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (cause) {
        throw new ApplianceError('STORE_CORRUPT', `${file} is not JSON`, { field: file, cause });
      }
      const { format, services } = (parsed ?? {}) as { format?: unknown; services?: unknown };
      if (format !== 1 || !Array.isArray(services) || !services.every((s) => typeof s === 'string')) {
        throw new ApplianceError('STORE_CORRUPT', `${file} does not hold a list of IPVS services`, { field: file });
      }
      return services as string[];
    },
    async save(ids) {
      try {
        await writeFileAtomically(file, `${JSON.stringify({ format: 1, services: [...ids].sort() })}\n`);
      } catch (cause) {
        throw ioError(`cannot write ${file}`, cause);
      }
    },
  };
}

/** A record that lasts as long as the process (tests, and drivers given no file). */
export function ownedRecordInMemory(initial: readonly string[] = []): OwnedRecord & { saved: string[][] } {
  let kept = [...initial];
  const saved: string[][] = [];
  return {
    saved,
    async load() {
      return [...kept];
    },
    async save(ids) {
      kept = [...ids].sort();
      saved.push(kept);
    },
  };
}

/**
 * The owned set in memory, written through to its record only when it changes: an apply
 * that edits services (weights, states) writes nothing; adding or deleting services does.
 */
export class Ownership {
  private readonly record: OwnedRecord;
  private ids: Set<string> | undefined;
  /** A write failed after an apply: the next change writes the whole set again. */
  private unsaved = false;

  constructor(record: OwnedRecord) {
    this.record = record;
  }

  /** The owned set (read from the record the first time). */
  async owned(): Promise<ReadonlySet<string>> {
    this.ids ??= new Set(await this.record.load());
    return this.ids;
  }

  /**
   * Before an apply: `declared` joins the owned set, on disk before the caller writes to
   * IPVS (rejects, and the caller must not write, if the record cannot be written).
   */
  async claim(declared: Iterable<string>): Promise<void> {
    const ids = (await this.owned()) as Set<string>;
    let grew = false;
    for (const id of declared) {
      if (ids.has(id)) continue;
      ids.add(id);
      grew = true;
    }
    if (grew || this.unsaved) await this.write();
  }

  /** After a successful apply: these were deleted, or are the appliance's no more. */
  async release(gone: Iterable<string>): Promise<void> {
    const ids = (await this.owned()) as Set<string>;
    let shrank = false;
    for (const id of gone) shrank = ids.delete(id) || shrank;
    if (shrank || this.unsaved) await this.releaseWrite();
  }

  /** After a successful apply of the whole table: the owned set is what is declared. */
  async replace(declared: ReadonlySet<string>): Promise<void> {
    const ids = (await this.owned()) as Set<string>;
    const same = ids.size === declared.size && [...declared].every((id) => ids.has(id));
    if (same && !this.unsaved) return;
    this.ids = new Set(declared);
    await this.releaseWrite();
  }

  private async write(): Promise<void> {
    await this.record.save([...(this.ids ?? [])]);
    this.unsaved = false;
  }

  /**
   * A shrinking write that fails leaves the record a superset, which is safe (the next
   * write puts it right); the apply it follows has succeeded, so it is not failed for it.
   */
  private async releaseWrite(): Promise<void> {
    try {
      await this.write();
    } catch {
      this.unsaved = true;
    }
  }
}
