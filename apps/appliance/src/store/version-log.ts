import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ApplianceError, fieldError } from '../errors.js';
import type { Serial } from '../serial.js';
import { applyPatch, type PatchOp } from './delta.js';
import { createDurably, syncDirectory, TEMP_SUFFIX } from './durable.js';
import { chainDigest, readSeal, sealHolds, writeSeal } from './seal-file.js';
import { readSnapshot, SNAPSHOT_FORMAT, snapshotLink, writeSnapshot } from './snapshot.js';
import {
  decodeVersion,
  encodeVersion,
  type LoggedVersion,
  nameOf,
  VERSION_NAME,
  type VersionMeta,
  type VersionRecord,
} from './version-file.js';

export type { LoggedVersion, VersionMeta } from './version-file.js';

/** By default, a snapshot at least every this many versions, so that a reader replays few deltas. */
const SNAPSHOT_EVERY = 200;
/** Deltas since the last whole version or snapshot worth a snapshot, however few they are. */
const TAIL_BYTES = 4 * 1024 * 1024;
/** Past this (snapshots failing), the tail is not kept: the seal waits for the next whole version or snapshot. */
const TAIL_BYTES_KEPT = 4 * TAIL_BYTES;
/** Recent versions kept decoded in memory (they share structure, so this costs little). */
const CACHE_SIZE = 64;

/** A file read to make a version: `name` as it enters the seal's chain of files. */
export type ReadListener = (name: string, bytes: Buffer, version: number) => void;
/** A delta file written since the last whole version or snapshot. */
interface Link {
  version: number;
  name: string;
  bytes: string | Buffer;
}

export interface VersionLogOptions<D> {
  /**
   * Write a snapshot of the head (in the background, after an append) once it is this many
   * versions past the last whole version or snapshot (default 200).
   */
  snapshotEvery?: number | undefined;
  /**
   * The queue the owner's appends run in, one at a time (serial.ts). The log's background
   * work (seal, snapshot) waits for what is queued there and does its bookkeeping there,
   * so that its file operations never compete with an append's.
   */
  writes: Serial;
  /** What identifies the rules the owner checks documents against: the seal holds only under the same rules. */
  rules: string;
  /**
   * At open, when the seal does not vouch for the head (other rules, a file edited by hand,
   * a seal a crash cut off): check it, throwing to refuse the directory. The log then seals it.
   */
  check: (head: LoggedVersion<D>, file: string) => void;
  /** What version 1 holds in a directory that holds no version yet. */
  first: { config: D; author: string; comment: string };
  /** The clock that gives version 1 its time. */
  now: () => Date;
}

/** Versions are shared with every reader: frozen, so that no reader can change the log's copy. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** A file operation that failed, as both layers of the store report it (the system's message kept). */
export function ioError(what: string, cause: unknown): ApplianceError {
  return new ApplianceError('STORE_IO', `${what}: ${(cause as Error).message}`, { cause });
}

/**
 * The lower layer of the configuration store: numbered versions of an opaque JSON document,
 * with who made each, when and why, in a data directory. It knows nothing of what the
 * documents mean; the ConfigStore (config-store.ts) checks them before they are appended.
 *
 * One file per version (`versions/000000000042.json`, version-file.ts), written once,
 * never changed; the head is the highest-numbered one, so an append is a single atomic file
 * creation and there is no pointer that a crash could leave out of step. So that readers
 * replay few deltas, the head is also written whole to `snapshots/000000000042.json` every
 * `snapshotEvery` versions, in the background after an append (snapshot.ts): derived data,
 * ignored when missing or unreadable. The seal (seal-file.ts) vouches for the head, so
 * that opening skips the owner's check of it when nothing can have changed.
 *
 * One writer: appends run one at a time in the owner's queue. A second process writing
 * the same directory cannot overwrite a version (its append fails with EEXIST).
 */
export class VersionLog<D extends object> {
  readonly dir: string;
  private readonly versionsDir: string;
  private readonly snapshotsDir: string;
  private readonly writes: Serial;
  private readonly rules: string;
  private readonly snapshotEvery: number;
  private latest: LoggedVersion<D>;
  private wroteFirst = false;
  /** The newest version stored whole or as a snapshot: where the chain of files that make the head starts. */
  private chainBase = 0;
  /** The digest of the files that make the head (seal-file.ts); undefined when not known. */
  private chain: string | undefined;
  /** The delta files after chainBase, oldest first (to make the chain again after a snapshot); undefined when not known. */
  private tail: Link[] | undefined = [];
  private tailBytes = 0;
  /** Versions with a snapshot file. */
  private readonly snapshots = new Set<number>();
  private snapshotting: Promise<void> | undefined;
  private sealing: Promise<void> | undefined;
  private sealWanted = false;
  private readonly cache = new Map<number, LoggedVersion<D>>();

  private constructor(dir: string, head: LoggedVersion<D>, options: VersionLogOptions<D>, snapshotEvery: number) {
    this.dir = dir;
    this.versionsDir = join(dir, 'versions');
    this.snapshotsDir = join(dir, 'snapshots');
    this.latest = head;
    this.writes = options.writes;
    this.rules = options.rules;
    this.snapshotEvery = snapshotEvery;
  }

  /**
   * Open (or create) the log in `dir`. A new log starts at version 1, `options.first`.
   * Temporary files a crash left are removed; a head the seal does not vouch for goes
   * through `options.check`.
   */
  static async open<D extends object>(dir: string, options: VersionLogOptions<D>): Promise<VersionLog<D>> {
    const snapshotEvery = options.snapshotEvery ?? SNAPSHOT_EVERY;
    if (!Number.isSafeInteger(snapshotEvery) || snapshotEvery < 1) {
      throw fieldError('STORE_INVALID_ARGUMENT', 'snapshotEvery', 'must be a positive integer');
    }
    const versionsDir = join(dir, 'versions');
    const snapshotsDir = join(dir, 'snapshots');
    /** The versions of the files in `at`, after removing the temporary files a crash left. */
    const list = async (at: string) => {
      const found: number[] = [];
      for (const name of await readdir(at)) {
        if (name.endsWith(TEMP_SUFFIX)) {
          await unlink(join(at, name));
          continue;
        }
        const match = VERSION_NAME.exec(name);
        if (match) found.push(Number(match[1]));
      }
      return found;
    };
    let versions: number[];
    let snapshots: number[];
    try {
      await mkdir(versionsDir, { recursive: true, mode: 0o700 });
      await mkdir(snapshotsDir, { recursive: true, mode: 0o700 });
      await syncDirectory(dir);
      versions = await list(versionsDir);
      snapshots = await list(snapshotsDir);
    } catch (cause) {
      throw ioError(`cannot open the store in ${dir}`, cause);
    }
    const latest = versions.length === 0 ? 0 : Math.max(...versions);
    // Stands for the version before the first until one is read or written.
    const { first } = options;
    const placeholder: LoggedVersion<D> = { version: 0, author: '', time: '', comment: '', config: first.config };
    const log = new VersionLog(dir, placeholder, options, snapshotEvery);
    for (const version of snapshots) {
      // Cannot happen (a snapshot is written after its version is durable), but one would
      // stand for a future version of the same number: removed.
      if (version > latest) await unlink(join(snapshotsDir, nameOf(version))).catch(() => undefined);
      else log.snapshots.add(version);
    }
    if (latest === 0) {
      await log.append(1, first.config, first.author, first.comment, options.now().toISOString());
      await log.seal();
      log.wroteFirst = true;
      return log;
    }
    // The files that make the head, newest first: the last whole version or snapshot ends the walk.
    const files: Link[] = [];
    const [head, seal] = await Promise.all([
      log.get(latest, (name, bytes, version) => files.push({ name, bytes, version })),
      readSeal(dir),
    ]);
    log.latest = head;
    files.reverse();
    log.chainBase = (files[0] as Link).version;
    log.tail = files.slice(1);
    log.tailBytes = log.tail.reduce((sum, link) => sum + link.bytes.length, 0);
    let chain: string | undefined;
    for (const { name, bytes } of files) chain = chainDigest(chain, name, bytes);
    log.chain = chain;
    // The seal says the owner already checked exactly these files under these rules.
    if (!sealHolds(seal, latest, chain, log.rules)) {
      options.check(head, join(versionsDir, nameOf(latest)));
      await log.seal();
    }
    return log;
  }

  /** The newest version (frozen). */
  get head(): LoggedVersion<D> {
    return this.latest;
  }

  /** Whether open wrote version 1 (the directory held no version). */
  get created(): boolean {
    return this.wroteFirst;
  }

  /**
   * One version, with its document. `read` sees each file read to make it (newest first;
   * none when it is in memory): version files by their name, a snapshot as
   * `snapshots/<name>`.
   */
  async get(version: number, read?: ReadListener): Promise<LoggedVersion<D>> {
    if (!Number.isSafeInteger(version) || version < 1) {
      throw fieldError('STORE_INVALID_ARGUMENT', 'version', 'must be a positive integer');
    }
    if (version === this.latest.version) return this.latest;
    const cached = this.cache.get(version);
    if (cached !== undefined) return cached;
    // Walk back to a whole version, a snapshot or one in memory, then replay the deltas forward.
    const chain: VersionRecord<D>[] = [];
    let current: LoggedVersion<D> | undefined;
    for (let n = version; current === undefined; n--) {
      const known = n === this.latest.version ? this.latest : this.cache.get(n);
      if (known !== undefined) {
        current = known;
        break;
      }
      if (this.snapshots.has(n)) {
        const snapshot = await readSnapshot(this.snapshotsDir, nameOf(n), n);
        if (snapshot !== undefined) {
          read?.(snapshotLink(nameOf(n)), snapshot.bytes, n);
          const { format: _format, ...whole } = snapshot.record;
          current = deepFreeze(whole as LoggedVersion<D>);
          break;
        }
        // Unreadable or not this version: the deltas before it are complete.
        this.snapshots.delete(n);
      }
      const record = await this.readRecord(n, read);
      if (record.config !== undefined) {
        const { base: _base, patch: _patch, ...whole } = record;
        current = deepFreeze(whole as LoggedVersion<D>);
        break;
      }
      chain.push(record);
    }
    for (const record of chain.reverse()) {
      const config: D | undefined = applyPatch(current.config, record.patch as PatchOp[]);
      const file = join(this.versionsDir, nameOf(record.version));
      if (config === undefined) {
        throw new ApplianceError('STORE_CORRUPT', `${file} does not apply to version ${current.version}`, {
          field: file,
        });
      }
      const { version: v, author, time, comment } = record;
      current = deepFreeze({ version: v, author, time, comment, config });
    }
    this.remember(current);
    return current;
  }

  /** A version file, checked for its shape but not decoded into a document. */
  private async readRecord(version: number, read?: ReadListener): Promise<VersionRecord<D>> {
    const file = join(this.versionsDir, nameOf(version));
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ApplianceError('STORE_NOT_FOUND', `no configuration version ${version}`, { cause, field: 'version' });
      }
      throw ioError(`cannot read ${file}`, cause);
    }
    read?.(nameOf(version), bytes, version);
    return decodeVersion<D>(bytes, version, file);
  }

  private remember(version: LoggedVersion<D>): void {
    this.cache.set(version.version, version);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(Math.min(...this.cache.keys()));
  }

  /** Versions newest first, without their documents. */
  async history(options: { limit?: number; before?: number } = {}): Promise<VersionMeta[]> {
    const limit = options.limit ?? 50;
    const before = options.before ?? this.latest.version + 1;
    const out: VersionMeta[] = [];
    for (let version = Math.min(before - 1, this.latest.version); version >= 1 && out.length < limit; version--) {
      let known: VersionMeta;
      try {
        known =
          version === this.latest.version ? this.latest : (this.cache.get(version) ?? (await this.readRecord(version)));
      } catch (error) {
        // Replicated versions keep the peer's numbers, so a node may lack some.
        if ((error as ApplianceError).code === 'STORE_NOT_FOUND') continue;
        throw error;
      }
      out.push({ version: known.version, author: known.author, time: known.time, comment: known.comment });
    }
    return out;
  }

  /**
   * Store `config` as version `version` (the head's next, or a later one after a gap): the
   * new head, durable when the promise resolves. Only documents the owner checked against
   * its rules, since the seal vouches for them; only from inside the owner's queue. Rejects
   * with the file system's error: EEXIST when another process stored that number first,
   * whose version is then the head here too. Afterwards, on a later turn of the event loop
   * (so that the caller goes on first), the seal and, when due, a snapshot.
   */
  async append(version: number, config: D, author: string, comment: string, time: string): Promise<void> {
    const stored: LoggedVersion<D> = { version, author, time, comment, config };
    const base = this.latest;
    const { data, whole } = encodeVersion(base, stored);
    const name = nameOf(version);
    try {
      await createDurably(this.versionsDir, name, data);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        this.latest = await this.get(version);
        this.forgetChain();
      }
      throw error;
    }
    if (whole) {
      this.chainBase = version;
      this.chain = chainDigest(undefined, name, data);
      this.tail = [];
      this.tailBytes = 0;
    } else if (this.chain !== undefined && this.tail !== undefined && this.tailBytes + data.length <= TAIL_BYTES_KEPT) {
      // A delta extends the chain of files only when the head's chain is known.
      this.chain = chainDigest(this.chain, name, data);
      this.tail.push({ version, name, bytes: data });
      this.tailBytes += data.length;
    } else {
      this.forgetChain();
    }
    if (base.version > 0) this.remember(base);
    this.latest = deepFreeze(stored);
    this.afterAppend();
  }

  /** After another writer stored a version: the files that make the head are not known here. */
  private forgetChain(): void {
    this.chain = undefined;
    this.tail = undefined;
    this.tailBytes = 0;
  }

  /** The seal and, when due, a snapshot, both begun on a later turn; neither is awaited by the append. */
  private afterAppend(): void {
    void this.seal();
    const due = this.latest.version - this.chainBase >= this.snapshotEvery || this.tailBytes >= TAIL_BYTES;
    if (due && this.snapshotting === undefined) {
      const running = this.snapshot()
        // Derived data: a failure only leaves the deltas to replay; a later append tries again.
        .catch(() => undefined)
        .finally(() => {
          if (this.snapshotting === running) this.snapshotting = undefined;
        });
      this.snapshotting = running;
    }
  }

  /** Write a snapshot of the head, then make the chain of files start at it. */
  private async snapshot(): Promise<void> {
    await nextTurn();
    // The head is frozen: it can be streamed over many turns while appends go on.
    const { version, author, time, comment, config } = this.latest;
    if (version <= this.chainBase) return;
    const name = nameOf(version);
    const digest = await writeSnapshot(
      this.snapshotsDir,
      name,
      { format: SNAPSHOT_FORMAT, version, author, time, comment, config },
      // Each step waits for the writes queued before it, so that an append is held back
      // by one step of the snapshot at most; a stream of appends still lets it progress.
      () => this.writes.idle(),
    );
    await this.writes(() => {
      this.snapshots.add(version);
      // A whole version written meanwhile is newer than the snapshot: the chain starts there.
      if (version <= this.chainBase) return;
      const after = this.tail?.filter((link) => link.version > version);
      this.chainBase = version;
      if (after === undefined && this.latest.version !== version) {
        // The deltas since the snapshot are not known here: no seal until the next one.
        this.forgetChain();
        return;
      }
      let chain = digest;
      for (const link of after ?? []) chain = chainDigest(chain, link.name, link.bytes);
      this.chain = chain;
      this.tail = after ?? [];
      this.tailBytes = this.tail.reduce((sum, link) => sum + link.bytes.length, 0);
      void this.seal();
    });
  }

  /**
   * Vouch for the head (see seal-file.ts); nothing when its chain of files is not known. One
   * write at a time, begun on a later turn: calls made meanwhile are served by one more
   * write, of the head as it is then. Resolves when the seal is current.
   */
  private seal(): Promise<void> {
    this.sealWanted = true;
    this.sealing ??= this.writeSeals();
    return this.sealing;
  }

  private async writeSeals(): Promise<void> {
    // First a turn, so that `this.sealing` is set before this can end.
    await nextTurn();
    try {
      while (this.sealWanted) {
        // After the writes queued now: the seal's file operations do not compete with an append's.
        await this.writes.idle();
        this.sealWanted = false;
        if (this.chain === undefined) continue;
        await writeSeal(this.dir, { schema: this.rules, version: this.latest.version, digest: this.chain });
      }
    } finally {
      this.sealing = undefined;
    }
  }

  /** Whether a snapshot or the seal is being written. */
  get busy(): boolean {
    return this.snapshotting !== undefined || this.sealing !== undefined;
  }

  /** Wait for the snapshot and the seal being written (not for what either starts next: see `busy`). */
  async settle(): Promise<void> {
    await this.snapshotting;
    await this.sealing;
  }
}
