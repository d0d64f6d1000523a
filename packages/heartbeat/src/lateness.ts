/** Upper bounds (ms) of the histogram's buckets; the last bucket takes everything above. */
export const LATENESS_BUCKETS_MS = [5, 10, 25, 50, 100, 150, 250, 500, 1000, 2500, 5000] as const;

/** A distribution of delays in milliseconds: how late heartbeats go out, or how far apart the peer's arrive. */
export interface LatenessSnapshot {
  /** How many delays were recorded. */
  count: number;
  /** Their sum, ms (with `count`, the mean; Prometheus's `_sum`). */
  sumMs: number;
  /** The last one, ms (undefined before the first). */
  lastMs: number | undefined;
  /** The largest since the node started, ms. */
  maxMs: number;
  /**
   * Cumulative counts: `buckets[i]` delays were at most `LATENESS_BUCKETS_MS[i]`; the
   * count above the last bound is `count - buckets.at(-1)` (Prometheus's `le` buckets).
   */
  buckets: number[];
}

/**
 * Records delays into fixed buckets (constant memory, no allocation per record): the
 * lateness of this node's own heartbeats tells a blocked event loop, the gaps between the
 * peer's tell a slow peer or network, both before a false failover happens.
 */
export class Lateness {
  private count = 0;
  private sumMs = 0;
  private lastMs: number | undefined;
  private maxMs = 0;
  private readonly counts = new Array<number>(LATENESS_BUCKETS_MS.length).fill(0);

  record(ms: number): void {
    const value = Math.max(0, ms);
    this.count++;
    this.sumMs += value;
    this.lastMs = value;
    if (value > this.maxMs) this.maxMs = value;
    const i = LATENESS_BUCKETS_MS.findIndex((bound) => value <= bound);
    if (i >= 0) this.counts[i] = (this.counts[i] ?? 0) + 1;
  }

  snapshot(): LatenessSnapshot {
    let running = 0;
    return {
      count: this.count,
      sumMs: this.sumMs,
      lastMs: this.lastMs,
      maxMs: this.maxMs,
      buckets: this.counts.map((n) => {
        running += n;
        return running;
      }),
    };
  }
}
