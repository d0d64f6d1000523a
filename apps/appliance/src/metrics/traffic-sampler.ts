import type { Engine } from '../engine/contract.js';
import type { Foreground } from '../engine/foreground.js';
import type { LogBook } from '../logs/contract.js';
import { TrafficHistory } from './traffic.js';

export interface TrafficSamplerOptions {
  engine: Pick<Engine, 'status'>;
  logs: Pick<LogBook, 'write'>;
  /** Writes in flight hold the sample (the engine's foreground). */
  foreground?: Foreground | undefined;
  /** Seconds between samples [10]; 0: only when `sample()` is called. */
  intervalSeconds?: number | undefined;
  /** Samples kept per service and server [360: an hour at 10 s]. */
  samples?: number | undefined;
  now?: () => Date;
}

export interface TrafficSampler {
  /** What `/reports/traffic` reads. */
  readonly history: TrafficHistory;
  /** Take a sample now. */
  sample(): void;
  stop(): void;
}

/** The daemon's background sampler of the engine's counters for the traffic reports. */
export function startTrafficSampler(options: TrafficSamplerOptions): TrafficSampler {
  const now = options.now ?? (() => new Date());
  const history = new TrafficHistory(options.samples ?? 360);
  const sample = () => {
    try {
      history.sample(options.engine.status(), now());
    } catch (error) {
      options.logs.write('system', 'warn', `traffic sample failed: ${(error as Error).message}`);
    }
  };
  // A sample reads every server's figures at once: the timer's waits for the writes in
  // flight (the engine's foreground, at most 2 s) and then takes it; the rates divide by
  // the time between samples, so a late one is still right.
  const { foreground } = options;
  const later = () => {
    if (foreground === undefined) sample();
    else void foreground.pause().then(sample);
  };
  const interval = options.intervalSeconds ?? 10;
  const timer = interval > 0 ? setInterval(later, interval * 1000) : undefined;
  timer?.unref();
  return {
    history,
    sample,
    stop: () => clearInterval(timer),
  };
}
