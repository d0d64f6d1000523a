/**
 * The appliance's own network, end to end: each version that becomes the head has its
 * network section applied to the host (apply.ts), in commit order, newest wins; a change
 * that could lock the admin out runs as a trial (trial.ts) and is rolled back, as a new
 * version with its reason in the history, unless confirmed in time.
 *
 * Managed only where the settings file says `SLUICE_HOST_NETWORK=manage` (the appliance
 * image): a .deb on someone's own server must never rewrite their network, so elsewhere the
 * section is validated and stored only, and the status says so. Not in an HA pair either:
 * the configuration is replicated whole, and one node's addresses on the other would clash.
 */
import { readFile, rm } from 'node:fs/promises';
import { ApplianceError } from '../errors.js';
import type { LogBook } from '../logs/contract.js';
import type { HostNetworkStatus } from '../model/host-network-status.js';
import type { ApplianceConfig, NetworkSettings } from '../model/schema.js';
import type { ConfigStore, StoredVersion } from '../store/contract.js';
import { writeFileAtomically } from '../store/durable.js';
import type { HostApplier } from './apply.js';
import { NetworkTrial, systemClock, type TrialClock, type TrialRecord } from './trial.js';

export type { HostNetworkStatus };

export const DEFAULT_CONFIRM_SECONDS = 120;

export interface HostNetworkOptions {
  manage: boolean;
  store: Pick<ConfigStore, 'current' | 'commit' | 'onCommitted'>;
  logs: Pick<LogBook, 'write'>;
  apply: HostApplier;
  /** The trial record's file (kept across restarts). */
  trialFile: string;
  /** How long a change that could lock the admin out waits for confirmation [120]. */
  confirmSeconds?: number;
  clock?: TrialClock;
}

export interface HostNetwork {
  readonly managed: boolean;
  status(): HostNetworkStatus;
  /** Applies the current version (no trial: it is the stored configuration) and resumes a saved trial. */
  start(): Promise<void>;
  /** systemctl reload: the current version's settings written and applied again (no trial). */
  reapply(): Promise<void>;
  /** The admin still reaches the appliance: keep the settings under trial. */
  confirm(author: string): Promise<HostNetworkStatus>;
  /** Resolves once every committed version has been applied. */
  idle(): Promise<void>;
  stop(): void;
}

const NOT_MANAGED =
  'host network: not managed on this host (SLUICE_HOST_NETWORK=manage in /etc/default/sluice to manage it)';
const HA_PAIR =
  "host network: not applied in an HA pair (the configuration is replicated to the peer; set each node's network on its console)";

/** The status where nothing manages the host's network. */
export function notManagedStatus(): HostNetworkStatus {
  return { managed: false, state: 'not-managed', detail: NOT_MANAGED, changes: [], notes: [] };
}

/** What a confirmation answers where nothing manages the host's network. */
export const notManagedError = () => new ApplianceError('NETWORK_NO_TRIAL', NOT_MANAGED);

const inPair = (config: ApplianceConfig) => config.heartbeat?.enabled === true;

export function createHostNetwork(options: HostNetworkOptions): HostNetwork {
  const { store, logs } = options;
  const clock = options.clock ?? systemClock;
  const timeoutMs = (options.confirmSeconds ?? DEFAULT_CONFIRM_SECONDS) * 1000;
  let status: HostNetworkStatus = options.manage
    ? { managed: true, state: 'pending', detail: 'host network: not applied yet', changes: [], notes: [] }
    : notManagedStatus();
  const save = async (record: TrialRecord | undefined) => {
    if (record === undefined) await rm(options.trialFile, { force: true });
    else await writeFileAtomically(options.trialFile, `${JSON.stringify(record)}\n`);
  };
  const trial = new NetworkTrial({
    timeoutMs,
    clock,
    save,
    onExpire: (record) => {
      queueWork(() => rollBack(record));
    },
  });

  // One apply at a time, in commit order; a burst is applied once, with its newest version.
  let next: StoredVersion | undefined;
  let chain: Promise<void> = Promise.resolve();
  const queueWork = (work: () => Promise<void>) => {
    chain = chain.then(work).catch((error: unknown) => {
      logs.write('system', 'error', `host network: ${(error as Error).message}`);
    });
  };
  const committed = (version: StoredVersion) => {
    const queued = next !== undefined;
    next = version;
    if (!queued) {
      queueWork(async () => {
        const newest = next;
        next = undefined;
        if (newest !== undefined) await applyVersion(newest, true);
      });
    }
  };

  const applyVersion = async (version: StoredVersion, withTrial: boolean) => {
    if (inPair(version.config)) {
      status = { managed: true, state: 'ha-pair', detail: HA_PAIR, changes: [], notes: [] };
      return;
    }
    const network = version.config.network;
    try {
      const result = await options.apply(network);
      status = {
        managed: true,
        state: 'applied',
        detail: `host network: version ${version.version} applied`,
        appliedVersion: version.version,
        appliedAt: new Date(clock.now()).toISOString(),
        changes: result.changes,
        notes: result.notes,
      };
      if (result.changes.length > 0) {
        logs.write('system', 'info', `host network: version ${version.version}: ${result.changes.join('; ')}`);
      }
    } catch (error) {
      status = {
        managed: true,
        state: 'failed',
        detail: `host network: version ${version.version} failed: ${(error as Error).message}`,
        changes: [],
        notes: [],
      };
      logs.write('system', 'error', status.detail, {
        code: error instanceof ApplianceError ? error.code : null,
      });
    }
    if (!withTrial) return;
    // A failed apply may have changed part of the host: it runs the trial all the same.
    const outcome = await trial.applied(version.version, network);
    if (outcome === 'started') {
      logs.write(
        'system',
        'warn',
        `host network: version ${version.version} changes addresses, gateways or routes: rolled back in ${timeoutMs / 1000} s unless confirmed`,
      );
    }
  };

  const rollBack = async (record: TrialRecord) => {
    const comment = `network settings of version ${record.version} not confirmed within ${timeoutMs / 1000} s: those of version ${record.restoreVersion} restored`;
    logs.write('system', 'warn', `host network: ${comment}`);
    // The rest of the configuration stays as it is now: only the network section goes back.
    for (let attempt = 0; ; attempt++) {
      const current = store.current();
      try {
        await store.commit({
          config: { ...current.config, network: record.restore as NetworkSettings },
          baseVersion: current.version,
          author: 'system',
          comment,
        });
        return;
      } catch (error) {
        if ((error as ApplianceError).code !== 'STORE_CONFLICT' || attempt >= 3) throw error;
      }
    }
  };

  let off: (() => void) | undefined;
  const withTrialStatus = (): HostNetworkStatus => {
    const pending = trial.pending;
    if (pending === undefined) return status;
    return {
      ...status,
      trial: {
        version: pending.version,
        restoreVersion: pending.restoreVersion,
        deadline: new Date(pending.deadline).toISOString(),
        secondsLeft: Math.max(0, Math.ceil((pending.deadline - clock.now()) / 1000)),
        timeoutSeconds: timeoutMs / 1000,
      },
    };
  };

  return {
    managed: options.manage,
    status: withTrialStatus,
    async start() {
      if (!options.manage) return;
      const current = store.current();
      trial.start({ version: current.version, network: current.config.network }, await loadTrial(options.trialFile));
      // Subscribed before the first apply, so that no commit between the two is missed.
      off = store.onCommitted(({ version }) => committed(version));
      queueWork(() => applyVersion(current, false));
      await chain;
    },
    async reapply() {
      if (!options.manage) return;
      // Behind the queue: a commit or a rollback under way is applied first, then the head again.
      queueWork(() => applyVersion(store.current(), false));
      await chain;
    },
    async confirm(author) {
      if (!options.manage) throw notManagedError();
      const record = await trial.confirm();
      logs.write('audit', 'info', `${author}: confirmed the network settings of version ${record.version}`, {
        author,
        version: record.version,
      });
      return withTrialStatus();
    },
    async idle() {
      for (let last: Promise<void> | undefined; last !== chain; ) {
        last = chain;
        await last;
      }
    },
    stop() {
      off?.();
      trial.stop();
    },
  };
}

async function loadTrial(file: string): Promise<TrialRecord | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as TrialRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // A damaged record cannot say what to restore: the current settings stand.
    return undefined;
  }
}
