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
/** Rings per chunk: one 64 KiB typed array serves 256 targets. */
const CHUNK = 256;

/**
 * The sample rings of many recorders, in a few large Float32Arrays: a ring of its own per
 * target would cost a typed array object and an off-heap backing store each (about
 * 700 bytes for 64 doubles). Float32 keeps latencies to well under a microsecond.
 */
export class SampleStore {
  private readonly chunks: Float32Array[] = [];
  private readonly free: number[] = [];
  private next = 0;

  allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const ring = this.next++;
    if (Math.floor(ring / CHUNK) >= this.chunks.length) this.chunks.push(new Float32Array(CHUNK * WINDOW));
    return ring;
  }

  release(ring: number): void {
    this.free.push(ring);
  }

  /** The array holding `ring`, and where in it the ring starts. */
  chunk(ring: number): Float32Array {
    return this.chunks[Math.floor(ring / CHUNK)] as Float32Array;
  }

  offset(ring: number): number {
    return (ring % CHUNK) * WINDOW;
  }
}

/** Running counters plus a ring of recent samples in a shared store: constant memory per target. */
export class LatencyRecorder {
  private checks = 0;
  private failures = 0;
  private samples = 0;
  private sum = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = 0;
  /** NaN until the first success: a number field stays unboxed, an `undefined` one would not. */
  private last = Number.NaN;
  private readonly ring: number;
  private readonly buffer: Float32Array;
  private readonly base: number;
  private next = 0;

  constructor(private readonly store: SampleStore = new SampleStore()) {
    this.ring = store.allocate();
    this.buffer = store.chunk(this.ring);
    this.base = store.offset(this.ring);
  }

  /** Returns the ring to the store; the recorder must not be used afterwards. */
  release(): void {
    this.store.release(this.ring);
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
    this.buffer[this.base + this.next] = latencyMs;
    this.next = this.next === WINDOW - 1 ? 0 : this.next + 1;
  }

  read(): LatencyStats {
    const n = Math.min(this.samples, WINDOW);
    const sorted = Array.from(this.buffer.subarray(this.base, this.base + n)).sort((a, b) => a - b);
    const pct = (p: number) => (n === 0 ? undefined : sorted[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]);
    return {
      checks: this.checks,
      failures: this.failures,
      samples: this.samples,
      lastMs: this.samples ? this.last : undefined,
      minMs: this.samples ? this.min : undefined,
      maxMs: this.samples ? this.max : undefined,
      meanMs: this.samples ? this.sum / this.samples : undefined,
      p50Ms: pct(50),
      p95Ms: pct(95),
      p99Ms: pct(99),
    };
  }
}
