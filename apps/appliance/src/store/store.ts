import { appendFile, mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { consumerErrors } from '../config/consumers.js';
import { type DiffEntry, diffConfigs } from '../config/diff.js';
import { type ApplianceConfig, configSchema, defaultConfig } from '../config/schema.js';
import { type ConfigWarning, rejected, validateConfig } from '../config/validate.js';
import { ApplianceError, fieldError } from '../errors.js';
import { type AuditEntry, AuditLog } from './audit.js';
import { withCurrentUsers } from './credentials.js';
import { applyPatch, isPatch, makePatch, type PatchOp } from './delta.js';
import { createDurably, syncDirectory, TEMP_SUFFIX } from './durable.js';
import { validateAgainst } from './incremental.js';
import { chainDigest, readSeal, schemaFingerprint, sealHolds, writeSeal } from './seal.js';
import { readSnapshot, SNAPSHOT_FORMAT, snapshotLink, writeSnapshot } from './snapshot.js';

/** Who made a version, when and why. */
export interface VersionInfo {
  version: number;
  author: string;
  /** ISO 8601, UTC. */
  time: string;
  comment: string;
}

export interface StoredVersion extends VersionInfo {
  config: ApplianceConfig;
}

export interface CommitRequest {
  /** The whole new configuration (defaults may be left out). */
  config: unknown;
  /** The version this change was made from; a stale base is a STORE_CONFLICT. */
  baseVersion: number;
  author: string;
  comment?: string;
}

export interface CommitResult {
  version: StoredVersion;
  warnings: readonly ConfigWarning[];
  changes: readonly DiffEntry[];
}

/** A version that became the head: what `onCommitted` listeners hear, in version order. */
export interface CommittedVersion {
  version: StoredVersion;
  /** How it came: a change, a rollback (restore and factory reset are commits), or the HA peer. */
  action: AuditEntry['action'];
}

export interface RollbackRequest {
  /** The version whose configuration becomes current again (as a new version). */
  to: number;
  baseVersion: number;
  author: string;
  comment?: string;
}

export interface ConfigStoreOptions {
  /** Clock, injectable for tests. */
  now?: () => Date;
  /**
   * Write a snapshot of the head (in the background, after a commit) once it is this many
   * versions past the last whole version or snapshot (default 200).
   */
  snapshotEvery?: number;
}

const FILE_FORMAT = 1;
/** By default, a snapshot at least every this many versions, so that a reader replays few deltas. */
const SNAPSHOT_EVERY = 200;
/** A change whose delta is bigger than this is stored whole. */
const MAX_DELTA_BYTES = 256 * 1024;
/** Deltas since the last whole version or snapshot worth a snapshot, however few they are. */
const TAIL_BYTES = 4 * 1024 * 1024;
/** Past this (snapshots failing), the tail is not kept: the seal waits for the next whole version or snapshot. */
const TAIL_BYTES_KEPT = 4 * TAIL_BYTES;
/** Recent versions kept decoded in memory (they share structure, so this costs little). */
const CACHE_SIZE = 64;

/** A version file as stored: a whole configuration, or the change from the version before. */
interface VersionRecord extends VersionInfo {
  config?: ApplianceConfig;
  base?: number;
  patch?: PatchOp[];
}
const VERSION_NAME = /^(\d{12})\.json$/;
const nameOf = (version: number) => `${String(version).padStart(12, '0')}.json`;
/** A file read to make a version: `name` as it enters the seal's chain of files. */
type ReadListener = (name: string, bytes: Buffer, version: number) => void;
/** A delta file written since the last whole version or snapshot. */
interface Link {
  version: number;
  name: string;
  bytes: string | Buffer;
}
const AUTHOR = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,128}$/u;
const COMMENT = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{0,1000}$/u;

/** Versions are shared with every caller of current() and get(): frozen, so that no caller can change the store's copy. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function ioError(what: string, cause: unknown): ApplianceError {
  return new ApplianceError('STORE_IO', `${what}: ${(cause as Error).message}`, { cause });
}

/**
 * The appliance's configuration store: a data directory holding one JSON file per
 * version (`versions/000000000042.json`, written once, never changed) and an
 * append-only audit log (`audit.log`, JSON lines). The current configuration is the
 * highest-numbered version, so a commit is a single atomic file creation and there is
 * no pointer that a crash could leave out of step.
 *
 * A version file holds the whole configuration only when it must (the first version, a
 * large change, a replica after a gap); otherwise the change from the version before.
 * So that readers replay few deltas, the head is also written whole to
 * `snapshots/000000000042.json` every `snapshotEvery` versions, in the background after
 * a commit (snapshot.ts): derived data, ignored when missing or unreadable.
 *
 * Writes are serialised in this process; a second process writing the same directory
 * cannot overwrite a version (its commit fails with STORE_CONFLICT), but one daemon per
 * data directory is the intended use.
 */
export class ConfigStore {
  readonly dataDir: string;
  private readonly versionsDir: string;
  private readonly snapshotsDir: string;
  private readonly audit: AuditLog;
  private readonly now: () => Date;
  private readonly snapshotEvery: number;
  private head: StoredVersion;
  private queue: Promise<unknown> = Promise.resolve();
  /** The newest version stored whole or as a snapshot: where the chain of files that make the head starts. */
  private chainBase = 0;
  /** The digest of the files that make the head (seal.ts); undefined when not known. */
  private chain: string | undefined;
  /** The delta files after chainBase, oldest first (to make the chain again after a snapshot); undefined when not known. */
  private tail: Link[] | undefined = [];
  private tailBytes = 0;
  /** Versions with a snapshot file. */
  private readonly snapshots = new Set<number>();
  private snapshotting: Promise<void> | undefined;
  private sealing: Promise<void> | undefined;
  private sealWanted = false;
  private readonly cache = new Map<number, StoredVersion>();
  private readonly committedListeners = new Set<(event: CommittedVersion) => void>();

  private constructor(dataDir: string, head: StoredVersion, now: () => Date, snapshotEvery: number) {
    this.dataDir = dataDir;
    this.versionsDir = join(dataDir, 'versions');
    this.snapshotsDir = join(dataDir, 'snapshots');
    this.audit = new AuditLog(join(dataDir, 'audit.log'));
    this.head = head;
    this.now = now;
    this.snapshotEvery = snapshotEvery;
  }

  /**
   * Open (or create) the store in `dataDir`. A new store starts at version 1, the
   * factory default. Leftovers of a crash are cleaned: temporary files are removed, a
   * torn audit line is dropped, and a version whose audit entry was cut off gets one.
   */
  static async open(dataDir: string, options: ConfigStoreOptions = {}): Promise<ConfigStore> {
    const now = options.now ?? (() => new Date());
    const snapshotEvery = options.snapshotEvery ?? SNAPSHOT_EVERY;
    if (!Number.isSafeInteger(snapshotEvery) || snapshotEvery < 1) {
      throw fieldError('STORE_INVALID_ARGUMENT', 'snapshotEvery', 'must be a positive integer');
    }
    const versionsDir = join(dataDir, 'versions');
    const snapshotsDir = join(dataDir, 'snapshots');
    const auditFile = join(dataDir, 'audit.log');
    /** The versions of the files in `dir`, after removing the temporary files a crash left. */
    const list = async (dir: string) => {
      const found: number[] = [];
      for (const name of await readdir(dir)) {
        if (name.endsWith(TEMP_SUFFIX)) {
          await unlink(join(dir, name));
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
      await appendFile(auditFile, '', { mode: 0o600 });
      await syncDirectory(dataDir);
      versions = await list(versionsDir);
      snapshots = await list(snapshotsDir);
    } catch (cause) {
      throw ioError(`cannot open the store in ${dataDir}`, cause);
    }
    const latest = versions.length === 0 ? 0 : Math.max(...versions);
    const placeholder: StoredVersion = { version: 0, author: '', time: '', comment: '', config: defaultConfig() };
    const store = new ConfigStore(dataDir, placeholder, now, snapshotEvery);
    for (const version of snapshots) {
      // Cannot happen (a snapshot is written after its version is durable), but one would
      // stand for a future version of the same number: removed.
      if (version > latest) await unlink(join(snapshotsDir, nameOf(version))).catch(() => undefined);
      else store.snapshots.add(version);
    }
    await store.audit.repair().catch((cause) => {
      throw ioError('cannot repair the audit log', cause);
    });
    if (latest === 0) {
      await store.write(1, defaultConfig(), 'system', 'factory defaults');
      await store.seal();
      await store.audit.append({
        time: store.head.time,
        author: 'system',
        action: 'commit',
        outcome: 'committed',
        baseVersion: null,
        version: 1,
        comment: 'factory defaults',
      });
    } else {
      // The files that make the head, newest first: the last whole version or snapshot ends the walk.
      const files: Link[] = [];
      const [head, seal] = await Promise.all([
        store.get(latest, (name, bytes, version) => files.push({ name, bytes, version })),
        readSeal(dataDir),
      ]);
      store.head = head;
      files.reverse();
      store.chainBase = (files[0] as Link).version;
      store.tail = files.slice(1);
      store.tailBytes = store.tail.reduce((sum, link) => sum + link.bytes.length, 0);
      let chain: string | undefined;
      for (const { name, bytes } of files) chain = chainDigest(chain, name, bytes);
      store.chain = chain;
      // The configuration that is about to be applied must be one this code understands;
      // the seal says this code already checked exactly these files.
      if (!sealHolds(seal, latest, chain)) {
        if (!configSchema.safeParse(store.head.config).success) {
          const file = join(versionsDir, nameOf(latest));
          throw new ApplianceError('STORE_CORRUPT', `${file} does not hold a valid configuration`, { field: file });
        }
        await store.seal();
      }
      await store.recoverAudit();
    }
    return store;
  }

  /** The current configuration and its version (frozen: copy it to edit). */
  current(): StoredVersion {
    return this.head;
  }

  /**
   * One version, with its configuration. `read` sees each file read to make it (newest
   * first; none when it is in memory): version files by their name, a snapshot as
   * `snapshots/<name>`.
   */
  async get(version: number, read?: ReadListener): Promise<StoredVersion> {
    if (!Number.isSafeInteger(version) || version < 1) {
      throw fieldError('STORE_INVALID_ARGUMENT', 'version', 'must be a positive integer');
    }
    if (version === this.head.version) return this.head;
    const cached = this.cache.get(version);
    if (cached !== undefined) return cached;
    // Walk back to a whole version, a snapshot or one in memory, then replay the deltas forward.
    const chain: VersionRecord[] = [];
    let current: StoredVersion | undefined;
    for (let n = version; current === undefined; n--) {
      const known = n === this.head.version ? this.head : this.cache.get(n);
      if (known !== undefined) {
        current = known;
        break;
      }
      if (this.snapshots.has(n)) {
        const snapshot = await readSnapshot(this.snapshotsDir, nameOf(n), n);
        if (snapshot !== undefined) {
          read?.(snapshotLink(nameOf(n)), snapshot.bytes, n);
          const { format: _format, ...whole } = snapshot.record;
          current = deepFreeze(whole as StoredVersion);
          break;
        }
        // Unreadable or not this version: the deltas before it are complete.
        this.snapshots.delete(n);
      }
      const record = await this.readRecord(n, read);
      if (record.config !== undefined) {
        const { base: _base, patch: _patch, ...whole } = record;
        current = deepFreeze(whole as StoredVersion);
        break;
      }
      chain.push(record);
    }
    for (const record of chain.reverse()) {
      const config = applyPatch(current.config, record.patch as PatchOp[]);
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

  /** A version file, checked for its shape but not decoded into a configuration. */
  private async readRecord(version: number, read?: ReadListener): Promise<VersionRecord> {
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
    let stored: VersionRecord & { format?: unknown };
    try {
      stored = JSON.parse(bytes.toString('utf8'));
    } catch (cause) {
      throw new ApplianceError('STORE_CORRUPT', `${file} is not JSON`, { cause, field: file });
    }
    const whole = typeof stored.config === 'object' && stored.config !== null;
    const delta = stored.base === version - 1 && isPatch(stored.patch);
    if (stored.format !== FILE_FORMAT || stored.version !== version || whole === delta) {
      throw new ApplianceError('STORE_CORRUPT', `${file} is not configuration version ${version}`, { field: file });
    }
    const { format: _format, ...rest } = stored;
    return rest;
  }

  private remember(version: StoredVersion): void {
    this.cache.set(version.version, version);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(Math.min(...this.cache.keys()));
  }

  /** Versions newest first, without their configurations. */
  async history(options: { limit?: number; before?: number } = {}): Promise<VersionInfo[]> {
    const limit = options.limit ?? 50;
    const before = options.before ?? this.head.version + 1;
    const out: VersionInfo[] = [];
    for (let version = Math.min(before - 1, this.head.version); version >= 1 && out.length < limit; version--) {
      let known: VersionInfo;
      try {
        known =
          version === this.head.version ? this.head : (this.cache.get(version) ?? (await this.readRecord(version)));
      } catch (error) {
        // Replicated versions keep the peer's numbers, so a node may lack some.
        if ((error as ApplianceError).code === 'STORE_NOT_FOUND') continue;
        throw error;
      }
      out.push({ version: known.version, author: known.author, time: known.time, comment: known.comment });
    }
    return out;
  }

  /** What changed from version `from` to version `to`, by path. */
  async diff(from: number, to: number): Promise<DiffEntry[]> {
    const [a, b] = await Promise.all([this.get(from), this.get(to)]);
    return diffConfigs(a.config, b.config);
  }

  /** Called with every audit entry once it is written (commits, rollbacks, replicas, rejections). */
  onAudit(listener: (entry: AuditEntry) => void): () => void {
    return this.audit.onAppend(listener);
  }

  /**
   * Called with every version that becomes the head, whoever stored it (a commit, a
   * rollback, the HA peer), once it is durable and before the promise of its commit
   * resolves: the daemon's commit pipeline turns these into the running system.
   */
  onCommitted(listener: (event: CommittedVersion) => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  private committed(action: CommittedVersion['action']): void {
    const event: CommittedVersion = { version: this.head, action };
    for (const listener of this.committedListeners) {
      try {
        listener(event);
      } catch {
        // A listener's fault is its own: the version is stored.
      }
    }
  }

  /** The audit log, oldest first; with `limit`, its last entries. */
  async auditLog(options: { limit?: number } = {}): Promise<AuditEntry[]> {
    const entries = await this.audit.read().catch((cause) => {
      throw ioError('cannot read the audit log', cause);
    });
    return options.limit === undefined ? entries : entries.slice(-options.limit);
  }

  /**
   * Store a new configuration version. It is durable when the promise resolves. A
   * rejected change (invalid configuration, stale base version) changes nothing but
   * the audit log, and throws CONFIG_REJECTED (with every issue) or STORE_CONFLICT.
   */
  commit(request: CommitRequest): Promise<CommitResult> {
    return this.exclusive(() => this.apply('commit', request.config, request));
  }

  /** Make an old version current again, as a new version equal to it but for the users (kept as they are). */
  rollback(request: RollbackRequest): Promise<CommitResult> {
    return this.exclusive(async () => {
      const comment = request.comment ?? `rollback to version ${request.to}`;
      let old: StoredVersion;
      try {
        old = await this.get(request.to);
      } catch (error) {
        await this.reject('rollback', { ...request, comment }, error as ApplianceError);
        throw error;
      }
      return this.apply(
        'rollback',
        withCurrentUsers(old.config, this.head.config),
        { ...request, comment },
        request.to,
      );
    });
  }

  /**
   * HA: store a version that the peer committed, under the peer's number, author, time and
   * comment, durably like a commit. A version that is not newer than the current one is
   * refused with HA_STALE_VERSION: an older configuration never overwrites a newer one.
   */
  acceptReplica(stored: StoredVersion, from: string): Promise<StoredVersion> {
    return this.exclusive(async () => {
      const base = this.head.version;
      if (
        typeof stored !== 'object' ||
        stored === null ||
        !Number.isSafeInteger(stored.version) ||
        stored.version < 1
      ) {
        throw fieldError('STORE_INVALID_ARGUMENT', 'version', 'must be a positive integer');
      }
      if (stored.version <= base) {
        throw new ApplianceError(
          'HA_STALE_VERSION',
          `version ${stored.version} is not newer than this node's version ${base}`,
          { field: 'version' },
        );
      }
      if (typeof from !== 'string' || !AUTHOR.test(from)) {
        throw fieldError('STORE_INVALID_ARGUMENT', 'from', 'must be 1 to 128 characters without control characters');
      }
      const problem = this.checkRequest({ baseVersion: base, author: stored.author }, stored.comment);
      if (problem !== undefined) throw problem;
      if (typeof stored.time !== 'string' || stored.time.length > 40 || Number.isNaN(Date.parse(stored.time))) {
        throw fieldError('STORE_INVALID_ARGUMENT', 'time', 'must be an ISO 8601 time');
      }
      const result = validateConfig(stored.config);
      if (!result.ok) throw rejected(result.errors);
      const refused = await consumerErrors(result.config, this.head.config);
      if (refused.length > 0) throw rejected(refused);
      try {
        await this.write(stored.version, result.config, stored.author, stored.comment, stored.time);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
          throw ioError(`cannot store version ${stored.version}`, error);
        this.head = await this.get(stored.version);
        this.forgetChain();
        throw new ApplianceError('STORE_CONFLICT', `version ${stored.version} was stored by another writer`, {
          cause: error,
          field: 'version',
        });
      }
      await this.audit
        .append({
          time: this.now().toISOString(),
          author: stored.author,
          action: 'replicate',
          outcome: 'committed',
          baseVersion: base,
          version: stored.version,
          comment: `replicated from ${from}`,
        })
        .catch(() => undefined);
      this.afterWrite();
      this.committed('replicate');
      return this.head;
    });
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply(
    action: AuditEntry['action'],
    config: unknown,
    request: { baseVersion: number; author: string; comment?: string },
    rollbackTo?: number,
  ): Promise<CommitResult> {
    const comment = request.comment ?? '';
    const problem = this.checkRequest(request, comment);
    if (problem !== undefined) {
      await this.reject(action, request, problem);
      throw problem;
    }
    const result = validateAgainst(config, this.head.config);
    // What the engine's consumers refuse (the HAProxy renderer's names) is refused here too,
    // before a version exists: a rollback to a version they no longer take as well.
    const refused = result.ok ? await consumerErrors(result.config, this.head.config) : result.errors;
    if (!result.ok || refused.length > 0) {
      const error = rejected(refused);
      await this.reject(action, request, error);
      throw error;
    }
    const base = this.head;
    const next = base.version + 1;
    try {
      await this.write(next, result.config, request.author, comment);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        const failure = ioError(`cannot store version ${next}`, error);
        await this.reject(action, request, failure).catch(() => undefined);
        throw failure;
      }
      // Another process committed this number first: our base is stale.
      this.head = await this.get(next);
      this.forgetChain();
      const conflict = new ApplianceError('STORE_CONFLICT', `version ${next} was stored by another writer`, {
        cause: error,
        field: 'baseVersion',
      });
      await this.reject(action, request, conflict);
      throw conflict;
    }
    const changes = diffConfigs(base.config, result.config);
    await this.audit
      .append(
        {
          time: this.head.time,
          author: request.author,
          action,
          outcome: 'committed',
          baseVersion: request.baseVersion,
          version: next,
          comment,
          ...(rollbackTo === undefined ? {} : { rollbackTo }),
          changed: changes.slice(0, 100).map((change) => change.path),
        },
        // The version is durable; a lost audit line is written again when the store next
        // opens, so this one is not worth an fsync on the write's path.
        { durable: false },
      )
      .catch(() => undefined);
    this.afterWrite();
    this.committed(action);
    return { version: this.head, warnings: result.warnings, changes };
  }

  private checkRequest(request: { baseVersion: number; author: string }, comment: string): ApplianceError | undefined {
    if (typeof request.author !== 'string' || !AUTHOR.test(request.author)) {
      return fieldError('STORE_INVALID_ARGUMENT', 'author', 'must be 1 to 128 characters without control characters');
    }
    if (typeof comment !== 'string' || !COMMENT.test(comment)) {
      return fieldError(
        'STORE_INVALID_ARGUMENT',
        'comment',
        'must be at most 1000 characters without control characters',
      );
    }
    if (!Number.isSafeInteger(request.baseVersion) || request.baseVersion < 0) {
      return fieldError('STORE_INVALID_ARGUMENT', 'baseVersion', 'must be a version number');
    }
    if (request.baseVersion !== this.head.version) {
      return new ApplianceError(
        'STORE_CONFLICT',
        `the change is based on version ${request.baseVersion} but the current version is ${this.head.version}`,
        { field: 'baseVersion' },
      );
    }
    return undefined;
  }

  private async write(
    version: number,
    config: ApplianceConfig,
    author: string,
    comment: string,
    time = this.now().toISOString(),
  ): Promise<void> {
    const stored: StoredVersion = { version, author, time, comment, config };
    const base = this.head;
    let data: string | undefined;
    // A change is stored as the delta from the version before (one line per operation).
    // The whole configuration (pretty-printed) only when there is no delta to write: the
    // first version, a change bigger than MAX_DELTA_BYTES, a replica after a gap. Bounding
    // the replay of deltas is the snapshots' job, off the commit's path.
    if (base.version >= 1 && base.version === version - 1) {
      const patch = makePatch(base.config, config);
      const { config: _config, ...info } = stored;
      const text = `${JSON.stringify({ format: FILE_FORMAT, ...info, base: base.version, patch })}\n`;
      if (text.length <= MAX_DELTA_BYTES) data = text;
    }
    const whole = data === undefined;
    data ??= `${JSON.stringify({ format: FILE_FORMAT, ...stored }, null, 2)}\n`;
    const name = nameOf(version);
    await createDurably(this.versionsDir, name, data);
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
    this.head = deepFreeze(stored);
  }

  /** After another writer stored a version: the files that make the head are not known here. */
  private forgetChain(): void {
    this.chain = undefined;
    this.tail = undefined;
    this.tailBytes = 0;
  }

  /**
   * After a version is stored (inside the write queue, before its promise resolves): the
   * seal and, when due, a snapshot, both begun on a later turn of the event loop, so that
   * the commit's caller goes on first. Neither is awaited by the commit.
   */
  private afterWrite(): void {
    // Every version written here was validated first (commit, rollback, replica).
    void this.seal();
    const due = this.head.version - this.chainBase >= this.snapshotEvery || this.tailBytes >= TAIL_BYTES;
    if (due && this.snapshotting === undefined) {
      const running = this.snapshot()
        // Derived data: a failure only leaves the deltas to replay; a later commit tries again.
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
    // The head is frozen: it can be streamed over many turns while commits go on.
    const { version, author, time, comment, config } = this.head;
    if (version <= this.chainBase) return;
    const name = nameOf(version);
    const digest = await writeSnapshot(
      this.snapshotsDir,
      name,
      { format: SNAPSHOT_FORMAT, version, author, time, comment, config },
      // Each step waits for the writes queued before it, so that a commit is held back
      // by one step of the snapshot at most; a stream of commits still lets it progress.
      async () => {
        await this.queue;
      },
    );
    await this.exclusive(async () => {
      this.snapshots.add(version);
      // A whole version written meanwhile is newer than the snapshot: the chain starts there.
      if (version <= this.chainBase) return;
      const after = this.tail?.filter((link) => link.version > version);
      this.chainBase = version;
      if (after === undefined && this.head.version !== version) {
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
   * Vouch for the head (see seal.ts); nothing when its chain of files is not known. One
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
        // After the writes queued now: the seal's file operations do not compete with a commit's.
        await this.queue;
        this.sealWanted = false;
        if (this.chain === undefined) continue;
        await writeSeal(this.dataDir, {
          schema: schemaFingerprint(),
          version: this.head.version,
          digest: this.chain,
        });
      }
    } finally {
      this.sealing = undefined;
    }
  }

  /**
   * Wait for the writes in the queue, a snapshot being written and the seal, so that a
   * clean shutdown leaves the seal current (the next open then skips the full check). The
   * store stays usable: a later commit starts such work again, and a later close waits
   * for it.
   */
  async close(): Promise<void> {
    for (;;) {
      const queue = this.queue;
      await queue;
      await this.snapshotting;
      await this.sealing;
      if (queue === this.queue && this.snapshotting === undefined && this.sealing === undefined) return;
    }
  }

  private async reject(
    action: AuditEntry['action'],
    request: { baseVersion: unknown; author: unknown; comment?: unknown; to?: unknown },
    error: ApplianceError,
  ): Promise<void> {
    // The audit line is JSON, so whatever a caller sent cannot forge another line; it is only cut short.
    const clip = (value: unknown) => (typeof value === 'string' ? value.slice(0, 1000) : String(value).slice(0, 100));
    await this.audit
      .append({
        time: this.now().toISOString(),
        author: clip(request.author),
        action,
        outcome: 'rejected',
        baseVersion: Number.isSafeInteger(request.baseVersion) ? (request.baseVersion as number) : null,
        comment: clip(request.comment ?? ''),
        ...(action === 'rollback' && Number.isSafeInteger(request.to) ? { rollbackTo: request.to as number } : {}),
        code: error.code,
        ...(error.field === undefined ? {} : { field: error.field }),
        message: error.message.slice(0, 1000),
      })
      .catch((cause) => {
        throw ioError('cannot write the audit log', cause);
      });
  }

  /** Give each version committed after the last audited one (cut off by a crash) its entry. */
  private async recoverAudit(): Promise<void> {
    const entries = await this.audit.read();
    let audited = 0;
    for (const entry of entries) {
      if (entry.outcome === 'committed' && entry.version !== undefined) audited = Math.max(audited, entry.version);
    }
    for (let version = audited + 1; version <= this.head.version; version++) {
      const stored = await this.get(version);
      await this.audit.append({
        time: stored.time,
        author: stored.author,
        action: 'commit',
        outcome: 'committed',
        baseVersion: version - 1,
        version,
        comment: stored.comment,
        recovered: true,
      });
    }
  }
}
