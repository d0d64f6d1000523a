/**
 * What the engine hands `/metrics` besides its status: the raw readings its drivers already
 * take (the IPVS table with its kernel counters, HAProxy's `show stat`) and the
 * distributions it records while it works (applies, health checks). Readings, not copies:
 * render them, do not keep them.
 */
import type { StatRow } from '@sluice/haproxy-config';
import type { ServiceWithDestinations } from '@sluice/ipvs';
import type { EnginePart } from '../model/engine-status.js';
import type { Histogram } from './histogram.js';

/** One checked real server's check latencies (Layer 4: the appliance's own checks). */
export interface CheckLatency {
  service: string;
  server: string;
  /** The configured check type (`connect`, `ping`, `http`, `https`). */
  check: string;
  seconds: Histogram;
}

export interface EngineMetrics {
  /** The last reading of the whole IPVS table; undefined while Layer 4 is unavailable or unread. */
  ipvs?: readonly ServiceWithDestinations[] | undefined;
  /** The last `show stat` of HAProxy; undefined while Layer 7 is unavailable or unread. */
  haproxy?: readonly StatRow[] | undefined;
  /** How long each part's applies took (seconds), successful or not. */
  applySeconds: ReadonlyMap<EnginePart, Histogram>;
  /** Applies of each part that failed. */
  applyFailures: ReadonlyMap<EnginePart, number>;
  healthChecks: Iterable<CheckLatency>;
}
