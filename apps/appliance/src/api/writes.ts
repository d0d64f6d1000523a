import { followerError } from '../cluster/control.js';
import { ApplianceError, fieldError } from '../errors.js';
import { refuseRemovingOwnAddress } from '../host-network/lock-out.js';
import { withDefaultChecks } from '../model/default-check.js';
import type { ApplyReport } from '../model/engine-status.js';
import type { ApplianceConfig } from '../model/schema.js';
import type { ConfigWarning } from '../model/validate.js';
import type { CommitResult } from '../store/contract.js';
import type { ApiDeps } from './deps.js';
import { badRequest } from './errors.js';
import type { Ctx } from './router.js';
import { redactChanges } from './secrets.js';

/** Query parameters every configuration write takes. */
/** `addressLoss=accept`: apply a network change that removes the address the request came in on. */
export const WRITE_QUERY = ['version', 'wait', 'comment', 'addressLoss'] as const;

export interface WriteOutcome {
  result: CommitResult;
  /** What this host cannot do of the stored version (the engine's `hostWarnings`). */
  hostWarnings?: readonly ConfigWarning[];
  applied?: ApplyReport;
}

export interface CommitOptions {
  /** Add the default check to services that get their first real servers [true]. */
  defaults?: boolean;
  /** Make a version even when nothing changes (a restore, a factory reset: the act is history). */
  record?: boolean;
}

/** Side effects that run only once a write is stored (sessions of a removed user end, ...). */
export type Effect = () => Promise<void>;

/**
 * Every configuration write goes through here: HA check, version check, the refusals the
 * API audits itself, the store. What follows a stored version (apply, HA, replication, the
 * log) is the daemon's commit pipeline's (src/pipeline), whoever committed it; a write
 * with `?wait=applied` waits for it there.
 */
export class Writer {
  constructor(private readonly deps: ApiDeps) {}

  requireEditable(): void {
    const cluster = this.deps.cluster;
    if (cluster !== undefined && !cluster.isEditable()) throw followerError(cluster.configuringNode());
    if (!this.deps.ha.isEditable()) {
      const peer = this.deps.ha.status().peer;
      const active = peer === undefined ? 'the active node' : `the active node, ${peer.name} (${peer.address})`;
      throw new ApplianceError(
        'HA_PASSIVE',
        `this node is the passive node of an HA pair: edit the configuration on ${active}`,
      );
    }
  }

  /**
   * The version a write is based on. `If-Match` is HTTP's precondition and is checked first:
   * `*`, or a list of ETags that holds the current version, passes; anything else is 412
   * API_PRECONDITION_FAILED before the body is looked at. `?version=N` (or a body's
   * `version`) names the base the way HAProxy's Data Plane API does: a stale one is 409
   * STORE_CONFLICT from the store. With If-Match alone the base is the current version.
   */
  baseVersion(ctx: Ctx, bodyVersion?: unknown): number {
    const ifMatch = ctx.req.headers['if-match'];
    const current = this.deps.store.current().version;
    if (typeof ifMatch === 'string') checkIfMatch(ifMatch, current);
    const fromQuery = ctx.query.get('version');
    if (fromQuery !== null) {
      if (!/^\d{1,15}$/.test(fromQuery) || Number(fromQuery) < 1)
        throw badRequest('version', 'must be a positive integer');
      return Number(fromQuery);
    }
    if (bodyVersion !== undefined) {
      if (!Number.isSafeInteger(bodyVersion) || (bodyVersion as number) < 1) {
        throw badRequest('version', 'must be a positive integer');
      }
      return bodyVersion as number;
    }
    if (typeof ifMatch === 'string') return current;
    throw new ApplianceError(
      'API_VERSION_REQUIRED',
      'a write must name the version it is based on: ?version=N or If-Match: "N"',
      { field: 'version' },
    );
  }

  /**
   * A write based on If-Match alone that lost the race to another writer (the store's
   * STORE_CONFLICT after the precondition passed) failed its precondition: 412, as it
   * would have been a moment later.
   */
  precondition(ctx: Ctx, error: unknown, bodyVersion?: unknown): unknown {
    const onlyIfMatch =
      typeof ctx.req.headers['if-match'] === 'string' && ctx.query.get('version') === null && bodyVersion === undefined;
    if (!onlyIfMatch || !(error instanceof ApplianceError) || error.code !== 'STORE_CONFLICT') return error;
    return new ApplianceError('API_PRECONDITION_FAILED', `If-Match: ${error.message}`, {
      field: 'If-Match',
      cause: error,
    });
  }

  /**
   * `?comment=`, or the default, which may quote what the client sent (a label, a backup's
   * date): control characters become "?" there, so that the change gets the error about
   * that value from the validation, not one about the comment.
   */
  comment(ctx: Ctx, fallback: string): string {
    const comment = ctx.query.get('comment');
    if (comment === null) return fallback.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '?').slice(0, 1000);
    if (comment.length > 1000 || /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(comment)) {
      throw badRequest('comment', 'must be at most 1000 characters without control characters');
    }
    return comment;
  }

  /**
   * Store a new version built from the current one; with `?wait=applied`, answer once the
   * pipeline has applied it. A rejected write stores nothing; its audit record says why.
   * A service that gets its first real servers gets the default connect check (the
   * model's `withDefaultChecks`), unless `defaults` is false (a restore brings back a
   * backup as it was). A write that changes nothing makes no version unless `record`.
   */
  async commit(
    ctx: Ctx,
    baseVersion: number,
    build: (config: ApplianceConfig) => unknown | Promise<unknown>,
    comment: string,
    effects: Effect[] = [],
    options: CommitOptions = {},
  ): Promise<WriteOutcome> {
    const { defaults = true, record = false } = options;
    this.requireEditable();
    const wait = ctx.query.get('wait');
    if (wait !== null && wait !== 'applied') throw badRequest('wait', 'must be "applied"');
    const { store, logs } = this.deps;
    const author = ctx.principal?.user ?? 'system';
    const current = store.current();
    let config: unknown;
    try {
      config = await build(current.config);
      if (defaults) config = withDefaultChecks(current.config, config);
      lastAdminCheck(current.config, config);
      if (this.deps.hostNetwork?.managed === true) {
        const addressLoss = ctx.query.get('addressLoss');
        if (addressLoss !== null && addressLoss !== 'accept') throw badRequest('addressLoss', 'must be "accept"');
        refuseRemovingOwnAddress(current.config, config, ctx.req.socket.localAddress, addressLoss === 'accept');
      }
    } catch (error) {
      // Refused before the store saw it (no such item, the last administrator): audited
      // here; the store audits what it refuses itself, and the log book gets those through onAudit.
      if (error instanceof ApplianceError) {
        logs.write('audit', 'warn', `${author}: change refused (${error.code}): ${error.message.slice(0, 300)}`, {
          author,
          outcome: 'rejected',
          code: error.code,
          field: error.field ?? null,
          address: ctx.address,
        });
      }
      throw error;
    }
    let result: CommitResult;
    try {
      result = await store.commit({ config, baseVersion, author, comment, ...(record ? { record } : {}) });
    } catch (error) {
      throw this.precondition(ctx, error);
    }
    return this.stored(ctx, result, effects);
  }

  /**
   * After a commit or rollback: the effects, what this host cannot do of the version (told
   * in the answer, not only in the log once applied), then (with `?wait=applied`) the wait
   * for the apply.
   */
  async stored(ctx: Ctx, result: CommitResult, effects: Effect[] = []): Promise<WriteOutcome> {
    const version = result.version.version;
    for (const effect of effects) await effect();
    const hostWarnings = await this.deps.engine.hostWarnings(result.version.config).catch((error: unknown) => {
      // The version is stored: a host that cannot be read now costs the advice, not the write.
      this.deps.logs.write('system', 'warn', `checking version ${version} against this host failed: ${String(error)}`);
      return [];
    });
    if (ctx.query.get('wait') !== 'applied') return { result, hostWarnings };
    const applying = this.deps.pipeline.applied(version);
    let timer: NodeJS.Timeout | undefined;
    const limit = this.deps.applyWaitSeconds ?? 60;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ApplianceError(
              'ENGINE_UNAVAILABLE',
              `version ${version} is stored; the engine did not report within ${limit} s (see GET /status)`,
            ),
          ),
        limit * 1000,
      );
      timer.unref();
    });
    try {
      return { result, hostWarnings, applied: await Promise.race([applying, timeout]) };
    } catch (error) {
      if (error instanceof ApplianceError) throw error;
      throw new ApplianceError('ENGINE_UNAVAILABLE', `version ${version} is stored but could not be applied`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
      applying.catch(() => undefined);
    }
  }
}

/**
 * RFC 9110's If-Match against the current version: `*` (there is always a current
 * version) or a comma-separated list of ETags, `"N"` (weak `W/"N"` taken too, as clients
 * echo what they were given). A malformed header is a 400, a stale one 412.
 */
function checkIfMatch(header: string, current: number): void {
  if (header.trim() === '*') return;
  const tags = header.split(',').map((tag) => /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(tag)?.[1]);
  if (tags.length > 32 || tags.some((tag) => tag === undefined)) {
    throw badRequest('If-Match', 'must be * or versions in quotes, as the ETag gives them ("42")');
  }
  if (!tags.some((tag) => Number(tag) === current)) {
    throw new ApplianceError(
      'API_PRECONDITION_FAILED',
      `If-Match names ${tags.join(', ')} but the current version is ${current}: read it again and retry`,
      { field: 'If-Match' },
    );
  }
}

/** A change must not leave the appliance without an administrator who can log in. */
function lastAdminCheck(before: ApplianceConfig, after: unknown): void {
  const admins = (config: unknown) => {
    const users = (config as { administration?: { users?: unknown } } | null)?.administration?.users;
    return Array.isArray(users) ? users.filter((user) => (user as { role?: unknown })?.role !== 'readonly').length : 0;
  };
  if (admins(before) > 0 && admins(after) === 0) {
    throw new ApplianceError('CONFIG_REJECTED', 'administration.users: the last administrator cannot be removed', {
      field: 'administration.users',
      issues: [fieldError('CONFIG_CONFLICT', 'administration.users', 'the last administrator cannot be removed')],
    });
  }
}

/**
 * The answer to a write. `scope` (a field path such as `layer4[3]`) keeps the warnings
 * about what was written: with a thousand DR services, every write would otherwise carry
 * a thousand ARP warnings. `null`: none (a removal); `warningsTotal` counts them all.
 */
export function writeReply(
  outcome: WriteOutcome,
  extra: Record<string, unknown> = {},
  scope?: string | null,
): Record<string, unknown> {
  const all = [...outcome.result.warnings, ...(outcome.hostWarnings ?? [])];
  const dot = `${scope}.`;
  const bracket = `${scope}[`;
  const warnings =
    scope === undefined
      ? all
      : scope === null
        ? []
        : all.filter((w) => w.field === scope || w.field.startsWith(dot) || w.field.startsWith(bracket));
  return {
    version: outcome.result.version.version,
    warnings,
    warningsTotal: all.length,
    // A password change or a rollback must not answer with the hashes or the key it changed.
    changes: redactChanges(outcome.result.changes),
    ...(outcome.result.unchanged ? { unchanged: true } : {}),
    ...extra,
    ...(outcome.applied === undefined ? {} : { applied: outcome.applied }),
  };
}
