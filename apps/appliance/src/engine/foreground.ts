/**
 * Writes first. The daemon's background work on the whole table (readings of the kernel
 * for the status, drift checks, traffic samples) runs in slices; between two slices it
 * waits while any write is in flight (an API write from its request to its answer, an
 * apply). On one CPU a write makes tens of hops through the event loop (file operations,
 * netlink replies): with a slice of background work queued before each hop, its wait
 * grew with the table; now it waits for one slice at most.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** A background task never waits longer than this for writes to end (a steady stream of them). */
const MAX_HOLD_MS = 2000;

export class Foreground {
  private active = 0;
  private waiting: (() => void)[] = [];

  /** Runs `task` as a write: background slices hold until it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      if (this.active === 0) this.release();
    }
  }

  /** Whether a write is in flight. */
  get busy(): boolean {
    return this.active > 0;
  }

  /**
   * Between two slices of background work: one turn of the event loop, then, while a write
   * is in flight, a wait for it to end (at most MAX_HOLD_MS, so that drift checks still run
   * under a steady stream of writes).
   */
  async pause(): Promise<void> {
    await nextTurn();
    if (this.active === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      timer = setTimeout(resolve, MAX_HOLD_MS);
      timer.unref();
    });
    clearTimeout(timer);
  }

  private release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}
