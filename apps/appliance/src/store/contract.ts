import type { ApplianceErrorCode } from '../errors.js';
import type { DiffEntry } from '../model/diff.js';
import type { ApplianceConfig } from '../model/schema.js';
import type { ConfigWarning } from '../model/validate.js';
import type { VersionInfo } from '../model/version-info.js';

/*
 * The configuration store as the rest of the appliance (and the browser UI) sees it: types
 * only, so that importing them brings in no Node module. The implementation is the class of
 * the same name in config-store.ts, over the VersionLog of version-log.ts.
 */

export type { VersionInfo };

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
  /** Store a version even when the configuration does not change (a restore, a factory reset). */
  record?: boolean;
}

export interface CommitResult {
  /** The new version; the current one when the change changed nothing (`unchanged`). */
  version: StoredVersion;
  warnings: readonly ConfigWarning[];
  changes: readonly DiffEntry[];
  /** The configuration was already so: no version was made. */
  unchanged?: true;
}

export interface RollbackRequest {
  /** The version whose configuration becomes current again (as a new version). */
  to: number;
  baseVersion: number;
  author: string;
  comment?: string;
}

/** One line of the audit log: who tried what, when, and how it ended. */
export interface AuditEntry {
  time: string;
  author: string;
  /** `replicate`: a version received from the HA peer (comment `replicated from <peer>`). */
  action: 'commit' | 'rollback' | 'replicate';
  outcome: 'committed' | 'rejected';
  /** The version the change was based on. */
  baseVersion: number | null;
  /** The version it created (committed changes only). */
  version?: number;
  comment: string;
  /** For a rollback: the version restored. */
  rollbackTo?: number;
  /** The paths that changed (committed changes; at most 100). */
  changed?: string[];
  /** Why a change was rejected. */
  code?: ApplianceErrorCode;
  field?: string;
  message?: string;
  /** Written when the store opened, for a version committed just before a crash that cut off its entry. */
  recovered?: true;
}

/** A version that became the head: what `onCommitted` listeners hear, in version order. */
export interface CommittedVersion {
  version: StoredVersion;
  /** How it came: a change, a rollback (restore and factory reset are commits), or the HA peer. */
  action: AuditEntry['action'];
}

/**
 * The appliance's configuration: numbered versions, each made by a commit, a rollback or
 * the HA peer, and an audit log of every attempt. Consumers take the `Pick<>` of it they use.
 */
export interface ConfigStore {
  /** The current configuration and its version (frozen: copy it to edit). */
  current(): StoredVersion;
  /** One version, with its configuration (STORE_NOT_FOUND when this node has no such version). */
  get(version: number): Promise<StoredVersion>;
  /** Versions newest first, without their configurations. */
  history(options?: { limit?: number; before?: number }): Promise<VersionInfo[]>;
  /** What changed from version `from` to version `to`, by path. */
  diff(from: number, to: number): Promise<DiffEntry[]>;
  /**
   * Store a new configuration version, durable when the promise resolves. A rejected change
   * changes nothing but the audit log, and throws CONFIG_REJECTED or STORE_CONFLICT; one
   * equal to the current configuration makes no version (`unchanged`).
   */
  commit(request: CommitRequest): Promise<CommitResult>;
  /** Make an old version current again, as a new version equal to it but for the users (kept as they are). */
  rollback(request: RollbackRequest): Promise<CommitResult>;
  /**
   * HA: store a version that the peer committed, under the peer's number. One that is not
   * newer than the current version is refused with HA_STALE_VERSION.
   */
  acceptReplica(stored: StoredVersion, from: string): Promise<StoredVersion>;
  /** Called with every audit entry once it is written (commits, rollbacks, replicas, rejections). */
  onAudit(listener: (entry: AuditEntry) => void): () => void;
  /** Called with every version that becomes the head, whoever stored it, once it is durable. */
  onCommitted(listener: (event: CommittedVersion) => void): () => void;
  /** The audit log, oldest first; with `limit`, its last entries. */
  auditLog(options?: { limit?: number }): Promise<AuditEntry[]>;
  /** Wait for the work a commit leaves running (seal, snapshot), so that a shutdown leaves the store tidy. */
  close(): Promise<void>;
}
