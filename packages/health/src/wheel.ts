import type { Clock } from './clock.js';

/** Something the wheel can hold: `due` is its tick while scheduled, undefined otherwise. */
export interface WheelItem {
  due: number | undefined;
}

/**
 * Items due on a grid of `tickMs`, driven by a single clock timer: thousands of targets
 * cost no timer object each per run (which V8 would promote and collect later), and the
 * process wakes once per tick for a whole batch.
 */
export class TickWheel<T extends WheelItem> {
  private readonly buckets = new Map<number, Bucket<T>>();
  /** Tick numbers with a bucket, as a binary min-heap. */
  private readonly ticks: number[] = [];
  /**
   * Emptied buckets, reused with their arrays' room: a bucket is allocated once, not once
   * per tick (an array truncated to 0 would drop its backing store, and one grown again for
   * each tick would live until its tick, long enough to be promoted as garbage).
   */
  private readonly spare: Bucket<T>[] = [];
  /** The tick the timer is armed for (NaN: not armed), and its handle. */
  private armedTick = Number.NaN;
  private armedHandle: unknown;
  private readonly onTimer = () => this.run();

  constructor(
    private readonly clock: Clock,
    private readonly tickMs: number,
    private readonly fire: (item: T) => void,
  ) {}

  /** Runs `item` at the first tick at or after `delayMs` from now. */
  schedule(item: T, delayMs: number): void {
    this.scheduleAt(item, this.clock.now() + delayMs);
  }

  /** Runs `item` at the first tick at or after clock time `at` (for a caller that has read the clock). */
  scheduleAt(item: T, at: number): void {
    const tick = Math.ceil(at / this.tickMs);
    item.due = tick;
    let bucket = this.buckets.get(tick);
    if (!bucket) {
      bucket = this.spare.pop() ?? { items: [], count: 0 };
      this.buckets.set(tick, bucket);
      this.push(tick);
    }
    bucket.items[bucket.count++] = item;
    this.arm();
  }

  /** Forgets `item` (lazily: its bucket skips it). */
  cancel(item: T): void {
    item.due = undefined;
  }

  stop(): void {
    if (!Number.isNaN(this.armedTick)) this.clock.clearTimer(this.armedHandle);
    this.armedTick = Number.NaN;
    this.armedHandle = undefined;
    for (const bucket of this.buckets.values()) {
      for (let i = 0; i < bucket.count; i++) (bucket.items[i] as T).due = undefined;
    }
    this.buckets.clear();
    this.ticks.length = 0;
  }

  private arm(): void {
    const next = this.ticks[0];
    if (next === undefined || this.armedTick <= next) return;
    if (!Number.isNaN(this.armedTick)) this.clock.clearTimer(this.armedHandle);
    const delay = Math.max(0, next * this.tickMs - this.clock.now());
    this.armedTick = next;
    this.armedHandle = this.clock.setTimer(this.onTimer, delay);
  }

  private run(): void {
    this.armedTick = Number.NaN;
    this.armedHandle = undefined;
    // A timer may fire up to a millisecond early on a coarse loop clock: close enough.
    const limit = this.clock.now() + 1;
    for (;;) {
      const tick = this.ticks[0];
      if (tick === undefined || tick * this.tickMs > limit) break;
      this.pop();
      const bucket = this.buckets.get(tick);
      if (bucket === undefined) continue;
      this.buckets.delete(tick);
      // An item fired may schedule itself again for this very tick: it goes to a new bucket.
      for (let i = 0; i < bucket.count; i++) {
        const item = bucket.items[i] as T;
        // Its place keeps the array's room but not the item.
        bucket.items[i] = undefined;
        if (item.due !== tick) continue;
        item.due = undefined;
        this.fire(item);
      }
      bucket.count = 0;
      this.spare.push(bucket);
    }
    this.arm();
  }

  private push(tick: number): void {
    const heap = this.ticks;
    heap.push(tick);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as number) <= tick) break;
      heap[i] = heap[parent] as number;
      i = parent;
    }
    heap[i] = tick;
  }

  private pop(): void {
    const heap = this.ticks;
    const last = heap.pop() as number;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] as number) < (heap[left] as number) ? right : left;
      if ((heap[child] as number) >= last) break;
      heap[i] = heap[child] as number;
      i = child;
    }
    heap[i] = last;
  }
}

/** Items due at one tick: the first `count` of `items` (the rest is room kept for reuse). */
interface Bucket<T> {
  items: Array<T | undefined>;
  count: number;
}
