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

/** Successful checks kept for the percentiles. */
const WINDOW = 64;
/** Rings per chunk: one 64 KiB typed array of samples (and one of counters) serves 256 targets. */
const CHUNK = 256;
/** Counters per ring, in a Float64Array beside the samples. */
const CHECKS = 0;
const FAILURES = 1;
const SAMPLES = 2;
const SUM = 3;
const MIN = 4;
const MAX = 5;
const LAST = 6;
const NEXT = 7;
const COUNTERS = 8;

/**
 * The latency statistics of many targets, in a few large typed arrays: a ring of 64 samples
 * and 8 counters per target. An object or typed array of its own per target would cost a
 * JS object, boxed numbers and (for a typed array) an off-heap backing store each, and a
 * target's state would be copied by the young generation's collector when it is added
 * (growing that generation, which V8 then keeps). Float32 keeps latencies to well under a
 * microsecond.
 */
export class SampleStore {
  private readonly chunks: Float32Array[] = [];
  private readonly counters: Float64Array[] = [];
  private readonly free: number[] = [];
  private next = 0;

  /** A ring with its counters at zero. */
  allocate(): number {
    let ring = this.free.pop();
    if (ring === undefined) {
      ring = this.next++;
      if (Math.floor(ring / CHUNK) >= this.chunks.length) {
        this.chunks.push(new Float32Array(CHUNK * WINDOW));
        this.counters.push(new Float64Array(CHUNK * COUNTERS));
      }
    }
    const c = this.counters[Math.floor(ring / CHUNK)] as Float64Array;
    const at = (ring % CHUNK) * COUNTERS;
    c.fill(0, at, at + COUNTERS);
    c[MIN + at] = Number.POSITIVE_INFINITY;
    return ring;
  }

  release(ring: number): void {
    this.free.push(ring);
  }

  record(ring: number, ok: boolean, latencyMs: number): void {
    const chunk = Math.floor(ring / CHUNK);
    const c = this.counters[chunk] as Float64Array;
    const at = (ring % CHUNK) * COUNTERS;
    c[CHECKS + at] = (c[CHECKS + at] as number) + 1;
    if (!ok) {
      c[FAILURES + at] = (c[FAILURES + at] as number) + 1;
      return;
    }
    c[SAMPLES + at] = (c[SAMPLES + at] as number) + 1;
    c[SUM + at] = (c[SUM + at] as number) + latencyMs;
    c[LAST + at] = latencyMs;
    if (latencyMs < (c[MIN + at] as number)) c[MIN + at] = latencyMs;
    if (latencyMs > (c[MAX + at] as number)) c[MAX + at] = latencyMs;
    const next = c[NEXT + at] as number;
    (this.chunks[chunk] as Float32Array)[(ring % CHUNK) * WINDOW + next] = latencyMs;
    c[NEXT + at] = next === WINDOW - 1 ? 0 : next + 1;
  }

  read(ring: number): LatencyStats {
    const chunk = Math.floor(ring / CHUNK);
    const c = this.counters[chunk] as Float64Array;
    const at = (ring % CHUNK) * COUNTERS;
    const samples = c[SAMPLES + at] as number;
    const n = Math.min(samples, WINDOW);
    const base = (ring % CHUNK) * WINDOW;
    const ringSamples = (this.chunks[chunk] as Float32Array).subarray(base, base + n);
    const sorted = Array.from(ringSamples).sort((a, b) => a - b);
    const pct = (p: number) => (n === 0 ? undefined : sorted[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]);
    return {
      checks: c[CHECKS + at] as number,
      failures: c[FAILURES + at] as number,
      samples,
      lastMs: samples ? c[LAST + at] : undefined,
      minMs: samples ? c[MIN + at] : undefined,
      maxMs: samples ? c[MAX + at] : undefined,
      meanMs: samples ? (c[SUM + at] as number) / samples : undefined,
      p50Ms: pct(50),
      p95Ms: pct(95),
      p99Ms: pct(99),
    };
  }
}
