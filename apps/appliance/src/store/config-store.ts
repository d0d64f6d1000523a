import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { consumerErrors } from '../config/consumers.js';
import { ApplianceError, fieldError } from '../errors.js';
import { type DiffEntry, diffConfigs } from '../model/diff.js';
import { mhOrderWarnings } from '../model/mh-order.js';
import { type ApplianceConfig, configSchema, defaultConfig } from '../model/schema.js';
import { rejected, validateConfig } from '../model/validate.js';
import { type Serial, serial } from '../serial.js';
import { AuditLog } from './audit.js';
import type {
  AuditEntry,
  CommitRequest,
  CommitResult,
  CommittedVersion,
  ConfigStore as ConfigStoreContract,
  RollbackRequest,
  StoredVersion,
  VersionInfo,
} from './contract.js';
import { withCurrentUsers } from './credentials.js';
import { syncDirectory } from './durable.js';
import { validateAgainst } from './incremental.js';
import { schemaFingerprint } from './seal.js';
import { ioError, type ReadListener, VersionLog } from './version-log.js';

// The contract's types, importable from here as they always were.
export type {
  CommitRequest,
  CommitResult,
  CommittedVersion,
  RollbackRequest,
  StoredVersion,
  VersionInfo,
} from './contract.js';

export interface ConfigStoreOptions {
  /** Clock, injectable for tests. */
  now?: () => Date;
  /**
   * Write a snapshot of the head (in the background, after a commit) once it is this many
   * versions past the last whole version or snapshot (default 200).
   */
  snapshotEvery?: number;
}

const AUTHOR = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,128}$/u;
const COMMENT = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{0,1000}$/u;

/**
 * The appliance's configuration store, the policy over a VersionLog (version-log.ts, which
 * keeps the versions' files and knows nothing of configurations): what may become a
 * version (a valid configuration the engine's consumers take, from the current version,
 * by a named author), rollback (keeping today's users), the HA rule for replicas (an older
 * configuration never overwrites a newer one), and the append-only audit log (`audit.log`,
 * JSON lines) of every attempt.
 *
 * Writes are serialised in this process; a second process writing the same directory
 * cannot overwrite a version (its commit fails with STORE_CONFLICT), but one daemon per
 * data directory is the intended use.
 *
 * The folder by layer: contract.ts is what the rest of the appliance consumes; this file
 * and audit.ts, credentials.ts, incremental.ts, seal.ts (the rules' fingerprint) are the
 * policy; version-log.ts and version-file.ts, delta.ts, snapshot.ts, seal-file.ts are the
 * files; durable.ts is the crash-safe writing both use.
 */
export class ConfigStore implements ConfigStoreContract {
  readonly dataDir: string;
  private readonly log: VersionLog<ApplianceConfig>;
  private readonly audit: AuditLog;
  private readonly now: () => Date;
  /** Commits, rollbacks and replicas, one at a time: each is checked against the head it is stored after. */
  private readonly writes: Serial;
  /** Tasks ever queued in `writes`: close() knows whether more came while it waited. */
  private queued = 0;
  private readonly committedListeners = new Set<(event: CommittedVersion) => void>();

  private constructor(
    dataDir: string,
    log: VersionLog<ApplianceConfig>,
    audit: AuditLog,
    writes: Serial,
    now: () => Date,
  ) {
    this.dataDir = dataDir;
    this.log = log;
    this.audit = audit;
    this.writes = writes;
    this.now = now;
  }

  /**
   * Open (or create) the store in `dataDir`. A new store starts at version 1, the
   * factory default. Leftovers of a crash are cleaned: temporary files are removed, a
   * torn audit line is dropped, and a version whose audit entry was cut off gets one.
   */
  static async open(dataDir: string, options: ConfigStoreOptions = {}): Promise<ConfigStore> {
    const now = options.now ?? (() => new Date());
    const writes = serial();
    const log = await VersionLog.open<ApplianceConfig>(dataDir, {
      snapshotEvery: options.snapshotEvery,
      writes,
      rules: schemaFingerprint(),
      // The configuration that is about to be applied must be one this code understands.
      check: (head, file) => {
        if (!configSchema.safeParse(head.config).success) {
          throw new ApplianceError('STORE_CORRUPT', `${file} does not hold a valid configuration`, { field: file });
        }
      },
      first: { config: defaultConfig(), author: 'system', comment: 'factory defaults' },
      now,
    });
    const audit = new AuditLog(join(dataDir, 'audit.log'));
    try {
      // Made durable like the log's directories; an existing log is left as it is.
      const created = await writeFile(audit.file, '', { flag: 'wx', mode: 0o600 }).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'EEXIST') return false;
          throw error;
        },
      );
      if (created) await syncDirectory(dataDir);
    } catch (cause) {
      throw ioError(`cannot open the store in ${dataDir}`, cause);
    }
    await audit.repair().catch((cause) => {
      throw ioError('cannot repair the audit log', cause);
    });
    const store = new ConfigStore(dataDir, log, audit, writes, now);
    if (log.created) {
      await audit.append({
        time: log.head.time,
        author: 'system',
        action: 'commit',
        outcome: 'committed',
        baseVersion: null,
        version: 1,
        comment: 'factory defaults',
      });
    } else {
      await store.recoverAudit();
    }
    return store;
  }

  /** The current configuration and its version (frozen: copy it to edit). */
  current(): StoredVersion {
    return this.log.head;
  }

  /**
   * One version, with its configuration. `read` sees each file read to make it (newest
   * first; none when it is in memory): version files by their name, a snapshot as
   * `snapshots/<name>`.
   */
  get(version: number, read?: ReadListener): Promise<StoredVersion> {
    return this.log.get(version, read);
  }

  /** Versions newest first, without their configurations. */
  history(options: { limit?: number; before?: number } = {}): Promise<VersionInfo[]> {
    return this.log.history(options);
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
    const event: CommittedVersion = { version: this.log.head, action };
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
        withCurrentUsers(old.config, this.log.head.config),
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
      const base = this.log.head.version;
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
      const refused = await consumerErrors(result.config, this.log.head.config);
      if (refused.length > 0) throw rejected(refused);
      try {
        await this.log.append(stored.version, result.config, stored.author, stored.comment, stored.time);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
          throw ioError(`cannot store version ${stored.version}`, error);
        // The log now holds the other writer's version as its head.
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
      this.committed('replicate');
      return this.log.head;
    });
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    this.queued++;
    return this.writes(task);
  }

  private async apply(
    action: AuditEntry['action'],
    config: unknown,
    request: { baseVersion: number; author: string; comment?: string; record?: boolean },
    rollbackTo?: number,
  ): Promise<CommitResult> {
    const comment = request.comment ?? '';
    const problem = this.checkRequest(request, comment);
    if (problem !== undefined) {
      await this.reject(action, request, problem);
      throw problem;
    }
    const result = validateAgainst(config, this.log.head.config);
    // What the engine's consumers refuse (the HAProxy renderer's names) is refused here too,
    // before a version exists: a rollback to a version they no longer take as well.
    const refused = result.ok ? await consumerErrors(result.config, this.log.head.config) : result.errors;
    if (!result.ok || refused.length > 0) {
      const error = rejected(refused);
      await this.reject(action, request, error);
      throw error;
    }
    const base = this.log.head;
    const changes = diffConfigs(base.config, result.config);
    const warnings = [...result.warnings, ...mhOrderWarnings(base.config, result.config)];
    // A write that changes nothing makes no version (PUT is idempotent): nothing to apply,
    // replicate or roll back to. A rollback always records that it was asked for.
    if (action === 'commit' && changes.length === 0 && request.record !== true) {
      return { version: base, warnings, changes, unchanged: true };
    }
    const next = base.version + 1;
    try {
      await this.log.append(next, result.config, request.author, comment, this.now().toISOString());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        const failure = ioError(`cannot store version ${next}`, error);
        await this.reject(action, request, failure).catch(() => undefined);
        throw failure;
      }
      // Another process committed this number first: our base is stale (its version is the head now).
      const conflict = new ApplianceError('STORE_CONFLICT', `version ${next} was stored by another writer`, {
        cause: error,
        field: 'baseVersion',
      });
      await this.reject(action, request, conflict);
      throw conflict;
    }
    await this.audit
      .append(
        {
          time: this.log.head.time,
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
    this.committed(action);
    return { version: this.log.head, warnings, changes };
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
    if (request.baseVersion !== this.log.head.version) {
      return new ApplianceError(
        'STORE_CONFLICT',
        `the change is based on version ${request.baseVersion} but the current version is ${this.log.head.version}`,
        { field: 'baseVersion' },
      );
    }
    return undefined;
  }

  /**
   * Wait for the writes in the queue, a snapshot being written and the seal, so that a
   * clean shutdown leaves the seal current (the next open then skips the full check). The
   * store stays usable: a later commit starts such work again, and a later close waits
   * for it.
   */
  async close(): Promise<void> {
    for (;;) {
      const queued = this.queued;
      await this.writes.idle();
      await this.log.settle();
      if (queued === this.queued && !this.log.busy) return;
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
    for (let version = audited + 1; version <= this.log.head.version; version++) {
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
