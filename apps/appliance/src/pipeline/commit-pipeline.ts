/**
 * From "version N committed" to the running system, in one place (Seesaw's engine loop over
 * its config notifier). The store says when a version becomes the head, whoever stored it:
 * a write through the API or the CLI, a rollback, a restore, a factory reset, the wizard or
 * the HA peer. For each, in commit order, the pipeline
 *   1. hands it to the engine (IPVS, HAProxy, addresses, health), which applies a burst
 *      once more with the newest version;
 *   2. tells HA (a changed heartbeat section restarts the heartbeat; the active node sends
 *      the version to its peer), also a burst once more with its newest version;
 *   3. answers the callers waiting for it to be applied (`?wait=applied`).
 * It also writes the store's audit entries to the log book and sends changed admin states
 * to the peer. The API only validates and commits; nothing else starts an apply.
 */
import type { AdminStates } from '../admin-states/contract.js';
import type { Engine } from '../engine/contract.js';
import { ApplianceError } from '../errors.js';
import type { HaControl } from '../ha/contract.js';
import type { LogBook } from '../logs/contract.js';
import type { ApplyReport } from '../model/engine-status.js';
import type { AuditEntry, ConfigStore, StoredVersion } from '../store/contract.js';

export interface CommitPipelineOptions {
  store: Pick<ConfigStore, 'onCommitted' | 'onAudit'>;
  engine: Pick<Engine, 'apply'>;
  ha: Pick<HaControl, 'committed' | 'adminStatesChanged'>;
  adminStates: Pick<AdminStates, 'onChange'>;
  logs: Pick<LogBook, 'write'>;
}

export interface CommitPipeline {
  /**
   * Resolves with the report of the first apply that holds version `version` (that version
   * or a newer one: a burst is applied once, with its newest version); rejects when that
   * apply failed.
   */
  applied(version: number): Promise<ApplyReport>;
  /** Resolves once every version committed so far has been applied and handed to HA. */
  idle(): Promise<void>;
  /** Stops listening; what is in flight finishes. */
  close(): void;
}

interface Waiter {
  version: number;
  resolve: (report: ApplyReport) => void;
  reject: (error: unknown) => void;
}

export function createCommitPipeline(options: CommitPipelineOptions): CommitPipeline {
  const { engine, ha, logs } = options;
  let waiters: Waiter[] = [];
  /**
   * How the newest apply ended (its report, or its error): a caller may ask for a version
   * after its apply ended (the engine can fail before the committing caller asks).
   */
  let last: { version: number; report: ApplyReport } | { version: number; error: unknown } | undefined;
  const inFlight = new Set<Promise<unknown>>();
  const track = (promise: Promise<unknown>) => {
    const settled = promise.catch(() => undefined);
    inFlight.add(settled);
    void settled.then(() => inFlight.delete(settled));
  };

  const settle = (upTo: number, action: (waiter: Waiter) => void) => {
    const done = waiters.filter((waiter) => waiter.version <= upTo);
    waiters = waiters.filter((waiter) => waiter.version > upTo);
    for (const waiter of done) action(waiter);
  };

  const committed = (version: StoredVersion) => {
    // Called in commit order: the engine's "asked last wins" then never goes back a version.
    const applying = engine.apply(version).then(
      (report) => {
        if (last === undefined || report.version >= last.version) last = { version: report.version, report };
        settle(report.version, (waiter) => waiter.resolve(report));
      },
      (error: unknown) => {
        logs.write('system', 'error', `applying configuration version ${version.version} failed: ${message(error)}`, {
          version: version.version,
          code: error instanceof ApplianceError ? error.code : null,
        });
        if (last === undefined || version.version >= last.version) last = { version: version.version, error };
        settle(version.version, (waiter) => waiter.reject(error));
      },
    );
    track(applying);
    toHa(version);
  };

  // HA one version at a time, newest wins: a burst of commits is sent to the peer in one
  // exchange (the replicator sends every version the peer lacks), not one round trip each.
  let haNext: StoredVersion | undefined;
  let haRunning = false;
  const toHa = (version: StoredVersion) => {
    haNext = version;
    if (haRunning) return;
    haRunning = true;
    track(
      (async () => {
        while (haNext !== undefined) {
          const next = haNext;
          haNext = undefined;
          await ha.committed(next).catch((error: unknown) => {
            logs.write('heartbeat', 'error', `replicating version ${next.version} failed: ${message(error)}`, {
              version: next.version,
            });
          });
        }
        haRunning = false;
      })(),
    );
  };

  // Admin states are not versions: a change (one server, every server of a service, a
  // restore's whole set) goes to the peer once, after the burst of its entries.
  let statesQueued = false;
  const statesChanged = () => {
    if (statesQueued) return;
    statesQueued = true;
    setImmediate(() => {
      statesQueued = false;
      track(
        ha.adminStatesChanged().catch((error: unknown) => {
          logs.write('heartbeat', 'error', `replicating admin states failed: ${message(error)}`);
        }),
      );
    });
  };

  const offCommitted = options.store.onCommitted(({ version }) => committed(version));
  const offAudit = options.store.onAudit((entry) => logAudit(logs, entry));
  const offStates = options.adminStates.onChange(statesChanged);

  return {
    applied(version) {
      if (last !== undefined && last.version >= version) {
        return 'report' in last ? Promise.resolve(last.report) : Promise.reject(last.error);
      }
      return new Promise((resolve, reject) => {
        waiters.push({ version, resolve, reject });
      });
    },
    async idle() {
      while (inFlight.size > 0 || statesQueued) {
        if (inFlight.size === 0) await new Promise((resolve) => setImmediate(resolve));
        else await Promise.all([...inFlight]);
      }
    },
    close() {
      offCommitted();
      offAudit();
      offStates();
    },
  };
}

/** The store's audit entries (commits, rollbacks, replicas, rejections) in the log book's audit channel. */
function logAudit(logs: Pick<LogBook, 'write'>, entry: AuditEntry): void {
  const what =
    entry.outcome === 'committed'
      ? `stored configuration version ${entry.version} (${entry.action})`
      : `${entry.action} refused (${entry.code}): ${entry.message ?? ''}`;
  logs.write('audit', entry.outcome === 'committed' ? 'info' : 'warn', `${entry.author}: ${what}`.slice(0, 1000), {
    author: entry.author,
    action: entry.action,
    outcome: entry.outcome,
    version: entry.version ?? null,
    baseVersion: entry.baseVersion,
    comment: entry.comment,
    code: entry.code ?? null,
    field: entry.field ?? null,
  });
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
