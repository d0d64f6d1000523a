/**
 * Lock-out protection, as `netplan try` does it: a network change that could cut the admin
 * off (any change of the interface addresses, the default gateways or the routes) is
 * applied, then taken back automatically when nobody confirms it in time. A confirmation
 * proves that the admin still reaches the appliance with the new settings.
 *
 * The state machine only: when to start, extend, end or expire a trial. What the last
 * confirmed settings are is kept with the trial, so that an expired trial restores them
 * and a change back to them needs no confirmation (the rollback itself, an admin undoing
 * their change). The record is saved, so that a restart or a reboot during a trial
 * resumes it: the files are permanent, an unconfirmed change must not become so by a reboot.
 */
import { ApplianceError } from '../errors.js';
import type { NetworkSettings } from '../model/schema.js';

export interface TrialClock {
  now(): number;
  /** Calls `fire` after `ms`; the returned function cancels it. */
  after(ms: number, fire: () => void): () => void;
}

export const systemClock: TrialClock = {
  now: () => Date.now(),
  after(ms, fire) {
    const timer = setTimeout(fire, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export interface TrialRecord {
  /** The newest unconfirmed version and its network settings. */
  version: number;
  network: NetworkSettings;
  /** The version whose network settings were the last confirmed ones, and those settings. */
  restoreVersion: number;
  restore: NetworkSettings;
  /** When the trial expires (ms since the epoch). */
  deadline: number;
}

export interface TrialOptions {
  timeoutMs: number;
  clock: TrialClock;
  /** Called once when a trial expires unconfirmed: restore `record.restore` (a new version). */
  onExpire(record: TrialRecord): void;
  /** Keeps the record across restarts (undefined: no trial). */
  save(record: TrialRecord | undefined): Promise<void>;
}

/** The part of the settings that decides whether the admin still reaches the appliance. */
function reach(network: NetworkSettings): string {
  return JSON.stringify([network.interfaces, network.defaultGateway, network.routes ?? []]);
}

/** Whether going from `before` to `after` could cut the admin off. */
export function couldLockOut(before: NetworkSettings, after: NetworkSettings): boolean {
  return reach(before) !== reach(after);
}

export class NetworkTrial {
  #pending: TrialRecord | undefined;
  #cancel: (() => void) | undefined;
  #confirmed: { version: number; network: NetworkSettings } | undefined;
  #expired = false;

  constructor(private readonly options: TrialOptions) {}

  get pending(): TrialRecord | undefined {
    return this.#pending;
  }

  /** At start: the settings applied now are the confirmed ones, unless a saved trial is resumed. */
  start(current: { version: number; network: NetworkSettings }, saved: TrialRecord | undefined): void {
    if (saved === undefined) {
      this.#confirmed = current;
      return;
    }
    this.#confirmed = { version: saved.restoreVersion, network: saved.restore };
    this.#arm(saved);
  }

  /** A version's network settings were applied: start, extend or end a trial. */
  async applied(version: number, network: NetworkSettings): Promise<'none' | 'started' | 'ended'> {
    const confirmed = this.#confirmed;
    if (confirmed === undefined || !couldLockOut(confirmed.network, network)) {
      // Nothing risky since the last confirmed settings (or back to them): they stand.
      this.#confirmed = { version, network };
      const ended = this.#pending !== undefined;
      this.#disarm();
      // An expired trial's record stays saved until its rollback is applied: a restart
      // between the two rolls back at once.
      if (ended || this.#expired) await this.options.save(undefined);
      this.#expired = false;
      return ended ? 'ended' : 'none';
    }
    const record: TrialRecord = {
      version,
      network,
      restoreVersion: confirmed.version,
      restore: confirmed.network,
      deadline: this.options.clock.now() + this.options.timeoutMs,
    };
    this.#arm(record);
    await this.options.save(record);
    return 'started';
  }

  /** The admin still reaches the appliance: the settings under trial stay. */
  async confirm(): Promise<TrialRecord> {
    const record = this.#pending;
    if (record === undefined) {
      throw new ApplianceError('NETWORK_NO_TRIAL', 'no network change waits for confirmation');
    }
    this.#disarm();
    this.#confirmed = { version: record.version, network: record.network };
    await this.options.save(undefined);
    return record;
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  #arm(record: TrialRecord): void {
    this.#cancel?.();
    this.#pending = record;
    this.#cancel = this.options.clock.after(Math.max(0, record.deadline - this.options.clock.now()), () => {
      if (this.#pending !== record) return;
      this.#pending = undefined;
      this.#cancel = undefined;
      this.#expired = true;
      this.options.onExpire(record);
    });
  }

  #disarm(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    this.#pending = undefined;
  }
}
