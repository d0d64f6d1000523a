/** Latency statistics of one target, over successful checks. */
export interface LatencyStats {
  /** Checks completed (any result). */
  checks: number;
  failures: number;
  /** Successful checks whose latency is counted below. */
  samples: number;
  lastMs: number | undefined;
  minMs: number | undefined;
  maxMs: number | undefined;
  meanMs: number | undefined;
  /** Percentiles over the last `window` successful checks. */
  p50Ms: number | undefined;
  p95Ms: number | undefined;
  p99Ms: number | undefined;
}

/** Running counters plus a small ring of recent samples: constant memory per target. */
export class LatencyRecorder {
  private checks = 0;
  private failures = 0;
  private samples = 0;
  private sum = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = 0;
  private last: number | undefined;
  private readonly ring: Float64Array;
  private next = 0;

  constructor(window = 64) {
    this.ring = new Float64Array(window);
  }

  record(ok: boolean, latencyMs: number): void {
    this.checks++;
    if (!ok) {
      this.failures++;
      return;
    }
    this.samples++;
    this.sum += latencyMs;
    this.last = latencyMs;
    if (latencyMs < this.min) this.min = latencyMs;
    if (latencyMs > this.max) this.max = latencyMs;
    this.ring[this.next] = latencyMs;
    this.next = (this.next + 1) % this.ring.length;
  }

  read(): LatencyStats {
    const n = Math.min(this.samples, this.ring.length);
    const sorted = Array.from(this.ring.subarray(0, n)).sort((a, b) => a - b);
    const pct = (p: number) => (n === 0 ? undefined : sorted[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]);
    return {
      checks: this.checks,
      failures: this.failures,
      samples: this.samples,
      lastMs: this.last,
      minMs: this.samples ? this.min : undefined,
      maxMs: this.samples ? this.max : undefined,
      meanMs: this.samples ? this.sum / this.samples : undefined,
      p50Ms: pct(50),
      p95Ms: pct(95),
      p99Ms: pct(99),
    };
  }
}
