/**
 * The heartbeat's timers and announcement settings as the configuration holds them: the
 * defaults, bounds and cross-field rules of @sluice/heartbeat's `resolveNodeConfig()`
 * (test/model/heartbeat-timing.test.ts holds them equal), written out here because the
 * model is also the web UI's, where the heartbeat package cannot go. A configuration the
 * heartbeat would refuse is refused before it is stored, with the field at fault.
 */

export interface Bounds {
  default: number;
  min: number;
  max: number;
}

/** Every timer in milliseconds: the package's defaults (failover in about 150-200 ms on a LAN). */
export const TIMER_BOUNDS = {
  /** A heartbeat this often on every link. */
  keepaliveMs: { default: 50, min: 1, max: 600_000 },
  /** The peer is late (a warning) after this long without a heartbeat. */
  warntimeMs: { default: 100, min: 1, max: 600_000 },
  /** The peer is dead (takeover) after this long without a heartbeat on any link. */
  deadtimeMs: { default: 150, min: 1, max: 600_000 },
  /** At start, how long the peer has to show up before this node assumes it is alone. */
  initdeadMs: { default: 1000, min: 1, max: 600_000 },
} as const satisfies Record<string, Bounds>;

export type TimerName = keyof typeof TIMER_BOUNDS;
export type Timers = Record<TimerName, number>;

/** The announcements after a takeover (keepalived's garp_master_repeat, garp_master_delay, garp_master_refresh). */
export const ANNOUNCEMENT_BOUNDS = {
  /** Frames per burst. */
  count: { default: 5, min: 1, max: 100 },
  /** Between the frames of a burst (past the neighbour locktime, 1 s on Linux). */
  intervalMs: { default: 1000, min: 1, max: 600_000 },
  /** A second burst this long after the first; 0: none. */
  delayMs: { default: 5000, min: 0, max: 600_000 },
  /** While active, one frame this often; 0: off, else at least `REFRESH_MIN_MS`. */
  refreshMs: { default: 0, min: 0, max: 86_400_000 },
} as const satisfies Record<string, Bounds>;

/** A refresh more often than the neighbour locktime would be ignored by the clients. */
export const REFRESH_MIN_MS = 1000;

export interface TimerFault {
  field: TimerName;
  message: string;
}

/**
 * The rules between the timers, in the package's order (its first fault is the one it
 * reports): one lost heartbeat is not a death, and the node must not give up on its peer
 * at start sooner than it would later.
 */
export function timerFaults(t: Timers): TimerFault[] {
  const faults: TimerFault[] = [];
  if (t.warntimeMs < t.keepaliveMs) faults.push({ field: 'warntimeMs', message: 'must be at least keepaliveMs' });
  if (t.deadtimeMs < 2 * t.keepaliveMs) {
    faults.push({
      field: 'deadtimeMs',
      message: 'must be at least twice keepaliveMs (one lost heartbeat is not a death)',
    });
  } else if (t.deadtimeMs < t.warntimeMs) faults.push({ field: 'deadtimeMs', message: 'must be at least warntimeMs' });
  if (t.initdeadMs < t.deadtimeMs) faults.push({ field: 'initdeadMs', message: 'must be at least deadtimeMs' });
  return faults;
}
